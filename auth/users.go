package auth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opsmetrics/opsmetrics/org"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// Users are the people who sign in to an org, each with a role. A user is
// made by an invitation (a one-time link, valid InviteTTL) and sets their
// password by accepting it; the store keeps the password only as an
// argon2id hash and the link only as its SHA-256. Every change is written to
// the org's audit trail (kind user), never a hash.
type Users struct {
	store  Store
	now    func() time.Time
	params Argon2Params
	// hashing bounds how many argon2 hashes run at once: each takes 64 MiB
	// and a core, and a flood of sign-ins must not take the server down.
	hashing chan struct{}

	dummyOnce sync.Once
	dummy     string // a hash of nothing anyone knows, checked for unknown emails

	checks atomic.Int64 // argon2id checks made, for tests of equal work

	mu       sync.Mutex // one acceptance at a time in this process: a link is used once
	sessions *Sessions  // set by NewSessions: removals end sessions here at once
}

// UsersConfig configures Users.
type UsersConfig struct {
	Store Store
	Now   func() time.Time // nil: time.Now
	// Argon2 hashes new passwords; zero: DefaultArgon2. Tests may lower it.
	Argon2 Argon2Params
}

// Validate reports what is missing.
func (c UsersConfig) Validate() error {
	if c.Store == nil {
		return errors.New("users: no store")
	}
	return nil
}

// NewUsers returns the users of the store.
func NewUsers(cfg UsersConfig) (*Users, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Argon2 == (Argon2Params{}) {
		cfg.Argon2 = DefaultArgon2
	}
	return &Users{store: cfg.Store, now: cfg.Now, params: cfg.Argon2, hashing: make(chan struct{}, 2)}, nil
}

// InviteTTL is how long an invitation link works.
const InviteTTL = 7 * 24 * time.Hour

// Errors of Accept and Authenticate. Their texts are for the person at
// the browser.
var (
	ErrInviteUnknown = errors.New("this invitation link is unknown, or a newer one was sent since; ask an admin to invite you again")
	ErrInviteUsed    = errors.New("this invitation link was used already; sign in with your email and password, or ask an admin for a new link")
	ErrInviteExpired = errors.New("this invitation link has expired (links work for 7 days); ask an admin to invite you again")
	// ErrBadCredentials is the one answer to a wrong password, an unknown
	// email and a user who has not set a password yet alike.
	ErrBadCredentials = errors.New("that email and password do not match a user")
)

// UserError is a refused change: Field names what was wrong (email, name,
// role, password, user), and Error says so with the value.
type UserError struct {
	Field, Msg string
}

func (e *UserError) Error() string { return e.Field + ": " + e.Msg }

func userErr(field, format string, a ...any) error {
	return &UserError{Field: field, Msg: fmt.Sprintf(format, a...)}
}

// NormalEmail returns email trimmed and in lower case, or an error naming
// the field and the value.
func NormalEmail(email string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(email))
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || !strings.Contains(e[strings.LastIndexByte(e, '@')+1:], ".") && !strings.HasSuffix(e, "@localhost") {
		return "", userErr("email", "%q is not an email address such as ana@example.com", email)
	}
	return e, nil
}

// Invite makes email a user of org with role (or, when it is one already,
// gives them a new link and the role) and returns the one-time link's
// token, valid InviteTTL; a newer invitation replaces the older link. by is
// who invites, for the audit trail.
func (u *Users) Invite(ctx context.Context, orgID, email, name, role, by string) (string, User, error) {
	email, err := NormalEmail(email)
	if err != nil {
		return "", User{}, err
	}
	if orgID == "" {
		return "", User{}, userErr("org", "no org given")
	}
	if !ValidRole(role) {
		return "", User{}, userErr("role", "%q is not a role: want %s", role, strings.Join(Roles, ", "))
	}
	name = strings.TrimSpace(name)
	if len(name) > 200 {
		return "", User{}, userErr("name", "%d characters, at most 200", len(name))
	}
	list, err := u.List(ctx, orgID)
	if err != nil {
		return "", User{}, err
	}
	var user User
	var before *Member
	for i := range list {
		if list[i].Email == email {
			before = &list[i]
			user = list[i].User
		}
	}
	now := u.now().UTC().Truncate(time.Millisecond)
	if before == nil {
		user = User{Org: orgID, ID: "u_" + randomHex(8), Email: email, Name: name, Role: role}
		if user.Name == "" {
			user.Name = email[:strings.IndexByte(email, '@')]
		}
		if err := u.write(ctx, user, "", now, false); err != nil {
			return "", User{}, err
		}
	} else if before.Role != role || (name != "" && name != before.Name) {
		if before.Role == RoleAdmin && role != RoleAdmin {
			if err := lastAdmin(list, user); err != nil {
				return "", User{}, err
			}
		}
		user.Role = role
		if name != "" {
			user.Name = name
		}
		hash, err := u.hashOf(ctx, orgID, user.ID)
		if err != nil {
			return "", User{}, err
		}
		if err := u.write(ctx, user, hash, before.CreatedAt, false); err != nil {
			return "", User{}, err
		}
	}
	link := randomHex(32)
	if err := u.store.Insert(ctx, &store.Batch{
		Table:   "ops.invites",
		Columns: []string{"org_id", "user_id", "link_hash", "created_by", "expires_at", "used", "version"},
		Values: []any{[]string{orgID}, []string{user.ID}, []string{hashOf(link)}, []string{by}, []time.Time{now.Add(InviteTTL)},
			[]uint8{0}, []uint64{u.version()}},
	}); err != nil {
		return "", User{}, fmt.Errorf("store the invitation: %w", err)
	}
	change := org.Change{Org: orgID, Who: by, Kind: org.AuditUser, Subject: user.ID, Name: user.Email, After: org.JSON(audited(user, before != nil && before.HasPassword, "invited"))}
	if before != nil {
		change.Before = org.JSON(audited(before.User, before.HasPassword, ""))
	}
	if err := org.Record(ctx, u.store, change); err != nil {
		return "", User{}, err
	}
	return link, user, nil
}

// audited is what the audit trail shows of a user: never the hash.
func audited(user User, hasPassword bool, note string) any {
	return struct {
		Email    string `json:"email"`
		Name     string `json:"name"`
		Role     string `json:"role"`
		Password string `json:"password"`
		Note     string `json:"note,omitempty"`
	}{user.Email, user.Name, user.Role, map[bool]string{true: "set", false: "not set"}[hasPassword], note}
}

// Accept uses an invitation link: it sets the user's name (when given) and
// password, marks the link used and returns the user. A link works once
// and for InviteTTL: ErrInviteUnknown, ErrInviteUsed or ErrInviteExpired
// otherwise; a password too short is a *UserError naming the field.
func (u *Users) Accept(ctx context.Context, link, name, password string) (User, error) {
	if err := CheckPassword(password); err != nil {
		return User{}, userErr("password", "%s", strings.TrimPrefix(err.Error(), "password: "))
	}
	name = strings.TrimSpace(name)
	if len(name) > 200 {
		return User{}, userErr("name", "%d characters, at most 200", len(name))
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	inv, err := u.invite(ctx, link)
	if err != nil {
		return User{}, err
	}
	user, hash, created, err := u.get(ctx, inv.org, inv.user)
	if err != nil {
		return User{}, err
	}
	if user.ID == "" {
		return User{}, ErrInviteUnknown // removed since
	}
	newHash, err := u.hash(ctx, password)
	if err != nil {
		return User{}, err
	}
	before := user
	if name != "" {
		user.Name = name
	}
	if err := u.store.Insert(ctx, &store.Batch{
		Table:   "ops.invites",
		Columns: []string{"org_id", "user_id", "link_hash", "created_by", "expires_at", "used", "version"},
		Values: []any{[]string{inv.org}, []string{inv.user}, []string{hashOf(link)}, []string{inv.by}, []time.Time{inv.expires},
			[]uint8{1}, []uint64{u.version()}},
	}); err != nil {
		return User{}, fmt.Errorf("use the invitation: %w", err)
	}
	if err := u.write(ctx, user, newHash, created, false); err != nil {
		return User{}, err
	}
	if err := org.Record(ctx, u.store, org.Change{Org: user.Org, Who: user.Email, Kind: org.AuditUser, Subject: user.ID, Name: user.Email,
		Before: org.JSON(audited(before, hash != "", "")), After: org.JSON(audited(user, true, "accepted the invitation"))}); err != nil {
		return User{}, err
	}
	return user, nil
}

type invitation struct {
	org, user, by string
	expires       time.Time
}

// invite reads the live invitation of a link, or says why there is none.
func (u *Users) invite(ctx context.Context, link string) (invitation, error) {
	if len(link) != 64 {
		return invitation{}, ErrInviteUnknown
	}
	rows, err := u.store.Query(ctx, store.QueryText("invite_by_hash"), store.Params{"hash": hashOf(link)})
	if err != nil {
		return invitation{}, fmt.Errorf("read the invitation: %w", err)
	}
	if rows.Len() != 1 {
		return invitation{}, ErrInviteUnknown
	}
	var inv invitation
	var used uint64
	if err := rows.Scan(0, &inv.org, &inv.user, &inv.by, &inv.expires, &used); err != nil {
		return invitation{}, err
	}
	switch {
	case used != 0:
		return invitation{}, ErrInviteUsed
	case !u.now().Before(inv.expires):
		return invitation{}, ErrInviteExpired
	}
	return inv, nil
}

// Invitation returns the user a link invites, or why it does not work
// (ErrInviteUnknown, ErrInviteUsed, ErrInviteExpired): the invitation page
// shows it before the form.
func (u *Users) Invitation(ctx context.Context, link string) (User, error) {
	inv, err := u.invite(ctx, link)
	if err != nil {
		return User{}, err
	}
	user, _, _, err := u.get(ctx, inv.org, inv.user)
	if err == nil && user.ID == "" {
		err = ErrInviteUnknown
	}
	return user, err
}

// Authenticate returns the user of org ("" for any org) with email and
// password. A wrong password, an unknown email and a user without a
// password all give ErrBadCredentials after the same work (one argon2id
// check), so neither the answer nor its time tells which. An email that is
// a user of several orgs signs in to the first whose password matches.
func (u *Users) Authenticate(ctx context.Context, orgID, email, password string) (User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	rows, err := u.store.Query(ctx, store.QueryText("users_by_email"), store.Params{"email": email})
	if err != nil {
		return User{}, fmt.Errorf("read users: %w", err)
	}
	checked := false
	for i := range rows.Len() {
		var user User
		var hash string
		if err := rows.Scan(i, &user.Org, &user.ID, &user.Email, &user.Name, &user.Role, &hash); err != nil {
			return User{}, err
		}
		if (orgID != "" && user.Org != orgID) || hash == "" {
			continue
		}
		checked = true
		ok, err := u.verify(ctx, password, hash)
		if err != nil {
			return User{}, err
		}
		if ok {
			return user, nil
		}
	}
	if !checked {
		// The same work as a known email's check, so the time tells nothing.
		if _, err := u.verify(ctx, password, u.dummyHash()); err != nil {
			return User{}, err
		}
	}
	return User{}, ErrBadCredentials
}

func (u *Users) dummyHash() string {
	u.dummyOnce.Do(func() {
		var err error
		// Without a dummy hash an unknown email would answer at once, and
		// the time would tell which emails have users.
		if u.dummy, err = HashPassword(randomHex(16), u.params); err != nil {
			panic("hash the dummy password: " + err.Error())
		}
	})
	return u.dummy
}

// hash and verify run argon2id within the hashing bound.
func (u *Users) hash(ctx context.Context, pw string) (string, error) {
	if err := u.acquire(ctx); err != nil {
		return "", err
	}
	defer func() { <-u.hashing }()
	return HashPassword(pw, u.params)
}

func (u *Users) verify(ctx context.Context, pw, phc string) (bool, error) {
	if err := u.acquire(ctx); err != nil {
		return false, err
	}
	defer func() { <-u.hashing }()
	u.checks.Add(1)
	return VerifyPassword(pw, phc), nil
}

func (u *Users) acquire(ctx context.Context) error {
	select {
	case u.hashing <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Member is a user as the users list shows them.
type Member struct {
	User
	HasPassword bool       `json:"has_password"` // false until the invitation is accepted
	CreatedAt   time.Time  `json:"created_at"`
	LastSignIn  *time.Time `json:"last_sign_in,omitempty"` // nil: none in the last 60 days
}

// List returns an org's users by name, with when each last signed in.
func (u *Users) List(ctx context.Context, orgID string) ([]Member, error) {
	rows, err := u.store.Query(ctx, store.QueryText("users_list"), store.Params{"org": orgID})
	if err != nil {
		return nil, fmt.Errorf("list users of org %s: %w", orgID, err)
	}
	out := make([]Member, rows.Len())
	for i := range out {
		m := &out[i]
		m.Org = orgID
		var has uint64
		if err := rows.Scan(i, &m.ID, &m.Email, &m.Name, &m.Role, &has, &m.CreatedAt); err != nil {
			return nil, err
		}
		m.HasPassword = has != 0
	}
	last, err := u.store.Query(ctx, store.QueryText("users_last_sign_in"), store.Params{"org": orgID})
	if err != nil {
		return nil, fmt.Errorf("read sign-ins of org %s: %w", orgID, err)
	}
	for i := range last.Len() {
		var id string
		var at time.Time
		if err := last.Scan(i, &id, &at); err != nil {
			return nil, err
		}
		for j := range out {
			if out[j].ID == id {
				out[j].LastSignIn = &at
			}
		}
	}
	return out, nil
}

// ByEmail returns the users with email in every org (OpenID Connect signs
// them in by the email the provider vouches for).
func (u *Users) ByEmail(ctx context.Context, email string) ([]User, error) {
	rows, err := u.store.Query(ctx, store.QueryText("users_by_email"), store.Params{"email": strings.ToLower(strings.TrimSpace(email))})
	if err != nil {
		return nil, fmt.Errorf("read users: %w", err)
	}
	out := make([]User, rows.Len())
	for i := range out {
		var hash string
		if err := rows.Scan(i, &out[i].Org, &out[i].ID, &out[i].Email, &out[i].Name, &out[i].Role, &hash); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Get returns org's user by id, or a *UserError naming it.
func (u *Users) Get(ctx context.Context, orgID, id string) (User, error) {
	user, _, _, err := u.get(ctx, orgID, id)
	if err == nil && user.ID == "" {
		err = userErr("user", "org %s has no user %q", orgID, id)
	}
	return user, err
}

// get reads a user, their hash and when they were made; an unknown one is
// the zero User.
func (u *Users) get(ctx context.Context, orgID, id string) (User, string, time.Time, error) {
	rows, err := u.store.Query(ctx, store.QueryText("user_by_id"), store.Params{"org": orgID, "id": id})
	if err != nil {
		return User{}, "", time.Time{}, fmt.Errorf("read user %s: %w", id, err)
	}
	if rows.Len() == 0 {
		return User{}, "", time.Time{}, nil
	}
	user := User{Org: orgID, ID: id}
	var hash string
	var created time.Time
	if err := rows.Scan(0, &user.Email, &user.Name, &user.Role, &hash, &created); err != nil {
		return User{}, "", time.Time{}, err
	}
	return user, hash, created, nil
}

func (u *Users) hashOf(ctx context.Context, orgID, id string) (string, error) {
	_, hash, _, err := u.get(ctx, orgID, id)
	return hash, err
}

// Find returns the member of org that ref names: their id or their email
// (in any capitals), or a *UserError naming ref.
func (u *Users) Find(ctx context.Context, orgID, ref string) (Member, []Member, error) {
	list, err := u.List(ctx, orgID)
	if err != nil {
		return Member{}, nil, err
	}
	r := strings.ToLower(strings.TrimSpace(ref))
	for _, m := range list {
		if m.ID == ref || m.Email == r {
			return m, list, nil
		}
	}
	return Member{}, list, userErr("user", "org %s has no user %q", orgID, ref)
}

// lastAdmin refuses taking the admin role from user when they are the
// org's last admin.
func lastAdmin(list []Member, user User) error {
	for _, m := range list {
		if m.Role == RoleAdmin && m.ID != user.ID {
			return nil
		}
	}
	return userErr("role", "%s (%s) is the last admin of org %s; make another user admin first", user.Name, user.Email, user.Org)
}

// SetRole gives the user ref (id or email) of org role. The org's last
// admin keeps theirs.
func (u *Users) SetRole(ctx context.Context, orgID, ref, role, by string) (User, error) {
	if !ValidRole(role) {
		return User{}, userErr("role", "%q is not a role: want %s", role, strings.Join(Roles, ", "))
	}
	m, list, err := u.Find(ctx, orgID, ref)
	if err != nil {
		return User{}, err
	}
	if m.Role == role {
		return m.User, nil
	}
	if m.Role == RoleAdmin {
		if err := lastAdmin(list, m.User); err != nil {
			return User{}, err
		}
	}
	after := m.User
	after.Role = role
	hash, err := u.hashOf(ctx, orgID, m.ID)
	if err != nil {
		return User{}, err
	}
	if err := u.write(ctx, after, hash, m.CreatedAt, false); err != nil {
		return User{}, err
	}
	u.forget(orgID, m.ID)
	return after, org.Record(ctx, u.store, org.Change{Org: orgID, Who: by, Kind: org.AuditUser, Subject: m.ID, Name: m.Email,
		Before: org.JSON(audited(m.User, m.HasPassword, "")), After: org.JSON(audited(after, m.HasPassword, ""))})
}

// Remove removes the user ref (id or email) of org and ends their
// sessions. The org's last admin stays.
func (u *Users) Remove(ctx context.Context, orgID, ref, by string) (User, error) {
	m, list, err := u.Find(ctx, orgID, ref)
	if err != nil {
		return User{}, err
	}
	if m.Role == RoleAdmin {
		if err := lastAdmin(list, m.User); err != nil {
			return User{}, userErr("user", "%s", strings.TrimPrefix(err.Error(), "role: "))
		}
	}
	if err := u.write(ctx, m.User, "", m.CreatedAt, true); err != nil {
		return User{}, err
	}
	if err := u.endSessions(ctx, orgID, m.ID); err != nil {
		return User{}, err
	}
	return m.User, org.Record(ctx, u.store, org.Change{Org: orgID, Who: by, Kind: org.AuditUser, Subject: m.ID, Name: m.Email,
		Before: org.JSON(audited(m.User, m.HasPassword, ""))})
}

// SetPassword sets the password of org's user id (checked as Accept
// does). The user's other sessions go on; "sign out everywhere" ends them.
func (u *Users) SetPassword(ctx context.Context, orgID, id, password, by string) error {
	if err := CheckPassword(password); err != nil {
		return userErr("password", "%s", strings.TrimPrefix(err.Error(), "password: "))
	}
	user, old, created, err := u.get(ctx, orgID, id)
	if err != nil {
		return err
	}
	if user.ID == "" {
		return userErr("user", "org %s has no user %q", orgID, id)
	}
	hash, err := u.hash(ctx, password)
	if err != nil {
		return err
	}
	if err := u.write(ctx, user, hash, created, false); err != nil {
		return err
	}
	return org.Record(ctx, u.store, org.Change{Org: orgID, Who: by, Kind: org.AuditUser, Subject: id, Name: user.Email,
		Before: org.JSON(audited(user, old != "", "")), After: org.JSON(audited(user, true, "password changed"))})
}

// CheckCurrentPassword reports whether password is the current one of
// org's user id (the account page asks before changing it).
func (u *Users) CheckCurrentPassword(ctx context.Context, orgID, id, password string) (bool, error) {
	_, hash, _, err := u.get(ctx, orgID, id)
	if err != nil {
		return false, err
	}
	if hash == "" {
		hash = u.dummyHash()
	}
	return u.verify(ctx, password, hash)
}

func (u *Users) write(ctx context.Context, user User, hash string, created time.Time, deleted bool) error {
	var del uint8
	if deleted {
		del = 1
	}
	if created.IsZero() {
		created = u.now().UTC().Truncate(time.Millisecond)
	}
	err := u.store.Insert(ctx, &store.Batch{
		Table:   "ops.users",
		Columns: []string{"org_id", "user_id", "email", "name", "role", "password_hash", "created_at", "version", "deleted"},
		Values: []any{[]string{user.Org}, []string{user.ID}, []string{user.Email}, []string{user.Name}, []string{user.Role},
			[]string{hash}, []time.Time{created}, []uint64{u.version()}, []uint8{del}},
	})
	if err != nil {
		return fmt.Errorf("store user %s: %w", user.Email, err)
	}
	return nil
}

// version orders a row's versions: microseconds, made to increase within
// the process even when the clock does not move (a test's fixed clock).
func (u *Users) version() uint64 { return nextVersion(u.now()) }

var (
	versionMu   sync.Mutex
	lastVersion uint64
)

func nextVersion(now time.Time) uint64 {
	versionMu.Lock()
	defer versionMu.Unlock()
	v := max(uint64(time.Now().UnixMicro()), uint64(now.UnixMicro()))
	if v <= lastVersion {
		v = lastVersion + 1
	}
	lastVersion = v
	return v
}

func (u *Users) endSessions(ctx context.Context, orgID, id string) error {
	if u.sessions != nil {
		return u.sessions.EndAll(ctx, orgID, id)
	}
	return endAll(ctx, u.store, orgID, id, u.now())
}

// forget drops a user's cached sessions, so a new role applies at once here.
func (u *Users) forget(orgID, id string) {
	if u.sessions != nil {
		u.sessions.forgetUser(orgID, id)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return hex.EncodeToString(b)
}
