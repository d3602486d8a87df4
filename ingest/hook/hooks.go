package hook

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/org"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// Store is the part of the store Hooks and the Worker need.
type Store interface {
	Query(ctx context.Context, query string, params store.Params) (*store.Rows, error)
	Insert(ctx context.Context, b *store.Batch) error
}

// Hook is one webhook of a task tool an org receives at its CallbackURL. It
// holds no secret or token, sealed or not: HasSecret and HasToken say
// whether it has them.
type Hook struct {
	Org         string    `json:"org"`
	ID          string    `json:"id"`
	Tool        string    `json:"tool"`
	CallbackURL string    `json:"url,omitempty"`      // paste it into the tool; "" when no public URL was known
	BaseURL     string    `json:"base_url,omitempty"` // the tool's API root for the token; "" is the tool's own
	Client      string    `json:"client,omitempty"`   // the default client of its tasks
	Project     string    `json:"project,omitempty"`  // the default project of its tasks
	CreatedAt   time.Time `json:"created_at"`
	HasSecret   bool      `json:"has_secret"` // false for an Asana hook before its handshake
	HasToken    bool      `json:"has_token"`

	secret, token string // sealed
}

// HooksConfig configures Hooks.
type HooksConfig struct {
	Store  Store
	Sealer *auth.Sealer
	Now    func() time.Time // nil: time.Now
}

// Validate fills defaults and reports what is missing.
func (c *HooksConfig) Validate() error {
	if c.Store == nil || c.Sealer == nil {
		return errors.New("hook: hooks need a store and a sealer")
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// Hooks keeps the orgs' hooks in the store (ops.hooks), their secrets and
// tokens sealed: to webhooks what collect.Sources is to pulls.
type Hooks struct {
	cfg HooksConfig

	mu   sync.Mutex
	last uint64 // the last version written, so that two writes in one microsecond still order
}

// version is the version of a row written now: the clock's, and above
// every one written before.
func (hs *Hooks) version() uint64 {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	hs.last = max(hs.last+1, uint64(hs.cfg.Now().UnixMicro()))
	return hs.last
}

// NewHooks returns Hooks.
func NewHooks(cfg HooksConfig) (*Hooks, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Hooks{cfg: cfg}, nil
}

var (
	// ErrNotFound: no hook with that id (in that org).
	ErrNotFound = errors.New("no such hook")
	// ErrBadSignature: a delivery whose signature is missing or wrong.
	ErrBadSignature = errors.New("missing or wrong signature")
)

// BadHookError is a hook that cannot be added as given; its text says why
// and names the value.
type BadHookError struct{ Msg string }

func (e *BadHookError) Error() string { return e.Msg }

// resolveDefault turns h's client and project, each an id or a name (case
// and spacing ignored; a project's among its client's first), into ids, as
// a mapping's target is given. One the org has no record of is kept as
// given: a client or project of the tool's tasks may come before its
// import. Errors: *BadHookError for a name of several, listing their ids.
func (hs *Hooks) resolveDefault(ctx context.Context, h *NewHook) error {
	h.Client, h.Project = strings.TrimSpace(h.Client), strings.TrimSpace(h.Project)
	if h.Client == "" && h.Project == "" {
		return nil
	}
	refs, err := loadMapRefs(ctx, hs.cfg.Store, h.Org)
	if err != nil {
		return err
	}
	// owner says whose project a candidate is: two clients may each have a "Website".
	owner := func(kind, id string) string {
		if c := refs.projectClient[id]; kind == "project" && c != "" {
			return " of " + cmp.Or(refs.clientName[c], c)
		}
		return ""
	}
	pick := func(kind, ref string, byID map[string]string, named []string) (string, error) {
		if _, ok := byID[ref]; ok || len(named) == 0 {
			return ref, nil
		}
		if len(named) == 1 {
			return named[0], nil
		}
		c := make([]string, len(named))
		for i, id := range named {
			c[i] = byID[id] + " (" + id + ")" + owner(kind, id)
		}
		return "", &BadHookError{Msg: fmt.Sprintf("%s %q names %d %ss in org %s: %s; give the id", kind, ref, len(named), kind, h.Org, strings.Join(c, ", "))}
	}
	if h.Client != "" {
		if h.Client, err = pick("client", h.Client, refs.clientName, refs.clientsNamed[org.NormalizeName(h.Client)]); err != nil {
			return err
		}
	}
	if h.Project != "" {
		named := refs.projectsNamed[org.NormalizeName(h.Project)]
		if own := slices.DeleteFunc(slices.Clone(named), func(id string) bool { return refs.projectClient[id] != h.Client }); len(own) > 0 {
			named = own
		}
		if h.Project, err = pick("project", h.Project, refs.projectName, named); err != nil {
			return err
		}
	}
	return nil
}

// NewHook is what Add needs to make a hook.
type NewHook struct {
	Org, Tool       string
	Secret          string // "" makes a random one (Asana: its handshake gives it)
	Token           string // the tool's API token; "" for none
	BaseURL         string // the tool's API root; "" is the tool's own
	Client, Project string // the default client and project of its tasks
	PublicURL       string // where the service is reached; the hook's URL is PublicURL + /hooks/{id}
}

// Path is where hook id receives its deliveries, below the public URL.
func Path(id string) string { return "/hooks/" + id }

// idBytes is a hook id's randomness: 192 bits, far beyond guessing, since
// the id is all that names a hook's URL.
const idBytes = 24

// Add checks h (its org exists, its tool is one of Tools, its URLs are
// http(s)), stores it with its secret and token sealed, and returns it
// with the secret in the clear: the only time it is shown. Errors:
// *BadHookError, the store's.
func (hs *Hooks) Add(ctx context.Context, h NewHook) (Hook, string, error) {
	if !slices.Contains(Tools, h.Tool) {
		return Hook{}, "", &BadHookError{Msg: fmt.Sprintf("unknown tool %q: want one of %s", h.Tool, strings.Join(Tools, ", "))}
	}
	if _, found, err := org.Load(ctx, hs.cfg.Store, h.Org); err != nil {
		return Hook{}, "", err
	} else if !found || h.Org == "" {
		return Hook{}, "", &BadHookError{Msg: fmt.Sprintf("no org %q: import into it or set it up with `opsmetrics org` first", h.Org)}
	}
	if err := hs.resolveDefault(ctx, &h); err != nil {
		return Hook{}, "", err
	}
	secret := strings.TrimSpace(h.Secret)
	switch {
	case h.Tool == "asana" && secret != "":
		return Hook{}, "", &BadHookError{Msg: "asana: the secret comes from Asana's handshake; give no secret"}
	case h.Tool == "trello" && h.PublicURL == "":
		return Hook{}, "", &BadHookError{Msg: "trello: a public URL is needed (--public-url), since Trello signs the callback URL"}
	}
	for _, u := range []struct{ name, v string }{{"base URL", h.BaseURL}, {"public URL", h.PublicURL}} {
		if u.v == "" {
			continue
		}
		p, err := url.Parse(u.v)
		if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" || p.RawQuery != "" {
			return Hook{}, "", &BadHookError{Msg: fmt.Sprintf("%s %q is not an http(s) URL", u.name, u.v)}
		}
	}
	id := make([]byte, idBytes)
	rand.Read(id) // never fails (crypto/rand)
	out := Hook{Org: h.Org, ID: "hk_" + base64.RawURLEncoding.EncodeToString(id), Tool: h.Tool,
		BaseURL: strings.TrimRight(h.BaseURL, "/"), Client: h.Client, Project: h.Project,
		CreatedAt: hs.cfg.Now().UTC().Truncate(time.Millisecond)}
	if h.PublicURL != "" {
		out.CallbackURL = strings.TrimRight(h.PublicURL, "/") + Path(out.ID)
	}
	if secret == "" && h.Tool != "asana" {
		b := make([]byte, 32)
		rand.Read(b)
		secret = base64.RawURLEncoding.EncodeToString(b)
	}
	var err error
	if out.secret, err = hs.seal(out, secret); err != nil {
		return Hook{}, "", err
	}
	if out.token, err = hs.seal(out, strings.TrimSpace(h.Token)); err != nil {
		return Hook{}, "", err
	}
	out.HasSecret, out.HasToken = out.secret != "", out.token != ""
	if err := hs.write(ctx, out, false); err != nil {
		return Hook{}, "", fmt.Errorf("store hook: %w", err)
	}
	return out, secret, nil
}

// seal seals a secret or token of h; "" stays "".
func (hs *Hooks) seal(h Hook, plain string) (string, error) {
	if plain == "" {
		return "", nil
	}
	return hs.cfg.Sealer.Seal([]byte(plain), h.Org+"/"+h.ID)
}

// open opens a sealed secret or token of h; "" stays "".
func (hs *Hooks) open(h Hook, sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	b, err := hs.cfg.Sealer.Open(sealed, h.Org+"/"+h.ID)
	if err != nil {
		return "", fmt.Errorf("hook %s: %w", h.ID, err)
	}
	return string(b), nil
}

func (hs *Hooks) write(ctx context.Context, h Hook, deleted bool) error {
	var del uint8
	if deleted {
		del = 1
	}
	return hs.cfg.Store.Insert(ctx, &store.Batch{
		Table: "ops.hooks",
		Columns: []string{"org_id", "hook_id", "tool", "secret_sealed", "token_sealed", "base_url", "callback_url", "client", "project",
			"created_at", "version", "deleted"},
		Values: []any{[]string{h.Org}, []string{h.ID}, []string{h.Tool}, []string{h.secret}, []string{h.token}, []string{h.BaseURL},
			[]string{h.CallbackURL}, []string{h.Client}, []string{h.Project}, []time.Time{h.CreatedAt},
			[]uint64{hs.version()}, []uint8{del}},
	})
}

// List returns the hooks of org ("" for every org), oldest first.
func (hs *Hooks) List(ctx context.Context, orgID string) ([]Hook, error) {
	rows, err := hs.cfg.Store.Query(ctx, store.QueryText("hooks_list"), store.Params{"org": orgID})
	if err != nil {
		return nil, err
	}
	out := make([]Hook, 0, rows.Len())
	for i := range rows.Len() {
		var h Hook
		if err := rows.Scan(i, &h.Org, &h.ID, &h.Tool, &h.secret, &h.token, &h.BaseURL, &h.CallbackURL, &h.Client, &h.Project,
			&h.CreatedAt); err != nil {
			return nil, err
		}
		h.HasSecret, h.HasToken = h.secret != "", h.token != ""
		out = append(out, h)
	}
	return out, nil
}

// Get returns hook id of org, or an error wrapping ErrNotFound that names
// it.
func (hs *Hooks) Get(ctx context.Context, orgID, id string) (Hook, error) {
	list, err := hs.List(ctx, orgID)
	if err != nil {
		return Hook{}, err
	}
	for _, h := range list {
		if h.ID == id {
			return h, nil
		}
	}
	return Hook{}, fmt.Errorf("%w %q in org %q (hook list shows them)", ErrNotFound, id, orgID)
}

// Remove deletes hook id of org: its URL answers 404 from then on; what it
// wrote stays. Errors: ErrNotFound (wrapped), the store's.
func (hs *Hooks) Remove(ctx context.Context, orgID, id string) error {
	h, err := hs.Get(ctx, orgID, id)
	if err != nil {
		return err
	}
	return hs.write(ctx, h, true)
}

// setSecret stores the secret of h's handshake (Asana), sealed.
func (hs *Hooks) setSecret(ctx context.Context, h Hook, secret string) (Hook, error) {
	sealed, err := hs.seal(h, secret)
	if err != nil {
		return Hook{}, err
	}
	h.secret, h.HasSecret = sealed, true
	return h, hs.write(ctx, h, false)
}
