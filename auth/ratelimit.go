package auth

import (
	"sync"
	"time"
)

// Limiter counts failed sign-ins per email and per client address, so
// passwords cannot be guessed at speed: after PerEmail failures for one
// email within EmailWindow, or PerIP failures from one address within
// IPWindow, further attempts are refused (429) until the oldest failure
// leaves its window. A successful sign-in clears its email's count. The
// counts live in this process: behind several replicas each counts its own
// share, which still bounds guessing to replicas × the limit.
type Limiter struct {
	PerEmail    int
	EmailWindow time.Duration
	PerIP       int
	IPWindow    time.Duration
	now         func() time.Time

	mu    sync.Mutex
	email map[string][]time.Time
	ip    map[string][]time.Time
}

// NewLimiter returns a Limiter of 5 failures per email per 15 minutes and
// 20 per address per minute. now may be nil (time.Now).
func NewLimiter(now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{PerEmail: 5, EmailWindow: 15 * time.Minute, PerIP: 20, IPWindow: time.Minute, now: now,
		email: map[string][]time.Time{}, ip: map[string][]time.Time{}}
}

// maxKeys bounds the memory a flood of made-up emails can take.
const maxKeys = 100_000

// Allow reports whether an attempt for email ("" for a token sign-in) from
// ip may be checked now, and when not, how long until it may.
func (l *Limiter) Allow(email, ip string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	wait := max(l.full(l.ip, ip, l.PerIP, l.IPWindow, now), 0)
	if email != "" {
		wait = max(wait, l.full(l.email, email, l.PerEmail, l.EmailWindow, now))
	}
	return wait <= 0, wait
}

// full returns how long until key has fewer than limit failures in its
// window (0 or less: it has already), dropping those that left it.
func (l *Limiter) full(m map[string][]time.Time, key string, limit int, window time.Duration, now time.Time) time.Duration {
	fails := m[key]
	i := 0
	for i < len(fails) && now.Sub(fails[i]) >= window {
		i++
	}
	fails = fails[i:]
	if len(fails) == 0 {
		delete(m, key)
		return 0
	}
	m[key] = fails
	if len(fails) < limit {
		return 0
	}
	return fails[len(fails)-limit].Add(window).Sub(now)
}

// Failed counts a failed attempt for email ("" for none) from ip.
func (l *Limiter) Failed(email, ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.email)+len(l.ip) > maxKeys {
		clear(l.email)
		clear(l.ip)
	}
	if email != "" {
		l.email[email] = append(l.email[email], now)
	}
	l.ip[ip] = append(l.ip[ip], now)
}

// Succeeded clears email's failures. The address's stay: one account's
// success must not reset the guessing of others from the same address.
func (l *Limiter) Succeeded(email string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.email, email)
}
