package collect

import (
	"encoding/json"
	"hash/fnv"
	"time"
)

// refDigests keeps, in a Cursor's Token, a digest of every person, client
// and project a tool emitted, so that a sync emits only those that changed.
// Tools whose APIs cannot list what changed since a time (Toggl's users and
// clients, Clockify's users, clients and projects) list them all on every
// sync; without this every sync would rewrite them all. A full sync (or a
// cursor from before this) starts empty and emits everything.
type refDigests struct {
	prev, next map[string]uint64
}

// refsToken is the JSON of a Cursor.Token that holds digests.
type refsToken struct {
	Refs map[string]uint64 `json:"refs"`
}

func newRefDigests(c Cursor, full bool) *refDigests {
	d := &refDigests{prev: map[string]uint64{}, next: map[string]uint64{}}
	if full || c.Token == "" {
		return d
	}
	var t refsToken
	if json.Unmarshal([]byte(c.Token), &t) == nil && t.Refs != nil {
		d.prev = t.Refs
		for k, v := range t.Refs { // what this sync does not list stays known
			d.next[k] = v
		}
	}
	return d
}

// emit emits rec (a Person, Client or Project whose ExternalID is key)
// unless the last successful sync emitted the same.
func (d *refDigests) emit(out Emitter, key string, rec any) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return out.Emit(rec, nil)
	}
	h := fnv.New64a()
	h.Write(b)
	sum := h.Sum64()
	d.next[key] = sum
	if d.prev[key] == sum {
		return nil
	}
	return out.Emit(rec, nil)
}

// token is the Cursor.Token for the next sync.
func (d *refDigests) token() string {
	b, _ := json.Marshal(refsToken{Refs: d.next})
	return string(b)
}

// startDay is the date of an entry's start as the tool writes it (Toggl
// and Clockify: in the profile's time zone, as their CSV exports' start
// date); the zero time, which the Collector rejects naming the entry, when
// it is not an RFC 3339 time.
func startDay(start string) time.Time {
	t, err := time.Parse(time.RFC3339, start)
	if err != nil {
		return time.Time{}
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}
