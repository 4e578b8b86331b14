package cpuset

import (
	"encoding/json"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// Set is a set of CPU ids. The zero value is the empty set. Sets are
// values: the methods that change a set return a new one.
type Set struct {
	words []uint64
}

// Of returns the set of the given ids; negative ids are ignored.
func Of(ids ...int) Set {
	n := 0
	for _, id := range ids {
		n = max(n, id/64+1)
	}
	s := Set{words: make([]uint64, n)}
	for _, id := range ids {
		if id >= 0 {
			s.words[id/64] |= 1 << (id % 64)
		}
	}
	return s.trim()
}

// Range returns {lo, ..., hi}; empty when hi < lo. It fills the words
// directly: a typo such as 0-65535 costs one allocation, not one per id.
func Range(lo, hi int) Set {
	lo = max(lo, 0)
	if hi < lo {
		return Set{}
	}
	s := Set{words: make([]uint64, hi/64+1)}
	for i := lo; i <= hi; {
		if i%64 == 0 && i+63 <= hi {
			s.words[i/64] = ^uint64(0)
			i += 64
			continue
		}
		s.words[i/64] |= 1 << (i % 64)
		i++
	}
	return s
}

// Add returns s ∪ {ids}.
func (s Set) Add(ids ...int) Set { return s.Union(Of(ids...)) }

// Remove returns s \ {ids}.
func (s Set) Remove(ids ...int) Set { return s.Diff(Of(ids...)) }

// Has reports whether id is in s.
func (s Set) Has(id int) bool {
	if id < 0 || id/64 >= len(s.words) {
		return false
	}
	return s.words[id/64]&(1<<(id%64)) != 0
}

// Len is the number of ids in s.
func (s Set) Len() int {
	n := 0
	for _, w := range s.words {
		n += bits.OnesCount64(w)
	}
	return n
}

// IsEmpty reports whether s has no ids.
func (s Set) IsEmpty() bool { return s.Len() == 0 }

// IDs returns the ids in increasing order.
func (s Set) IDs() []int {
	ids := make([]int, 0, s.Len())
	for i, w := range s.words {
		for w != 0 {
			b := bits.TrailingZeros64(w)
			ids = append(ids, i*64+b)
			w &^= 1 << b
		}
	}
	return ids
}

// Max is the highest id in s, or -1 for the empty set.
func (s Set) Max() int {
	for i := len(s.words) - 1; i >= 0; i-- {
		if s.words[i] != 0 {
			return i*64 + 63 - bits.LeadingZeros64(s.words[i])
		}
	}
	return -1
}

// Union returns s ∪ t.
func (s Set) Union(t Set) Set {
	out := Set{words: make([]uint64, max(len(s.words), len(t.words)))}
	copy(out.words, s.words)
	for i, w := range t.words {
		out.words[i] |= w
	}
	return out.trim()
}

// Diff returns s \ t.
func (s Set) Diff(t Set) Set {
	out := Set{words: append([]uint64(nil), s.words...)}
	for i := 0; i < len(out.words) && i < len(t.words); i++ {
		out.words[i] &^= t.words[i]
	}
	return out.trim()
}

// Intersect returns s ∩ t.
func (s Set) Intersect(t Set) Set {
	out := Set{words: make([]uint64, min(len(s.words), len(t.words)))}
	for i := range out.words {
		out.words[i] = s.words[i] & t.words[i]
	}
	return out.trim()
}

// Equal reports whether s and t hold the same ids.
func (s Set) Equal(t Set) bool {
	a, b := s.trim().words, t.trim().words
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// SubsetOf reports whether every id of s is in t.
func (s Set) SubsetOf(t Set) bool { return s.Diff(t).IsEmpty() }

func (s Set) trim() Set {
	n := len(s.words)
	for n > 0 && s.words[n-1] == 0 {
		n--
	}
	s.words = s.words[:n]
	return s
}

// String prints s as compact ranges, e.g. "0-3,6,8-9"; "" for the empty
// set. Parse reads it back.
func (s Set) String() string {
	var b strings.Builder
	ids := s.IDs()
	for i := 0; i < len(ids); {
		j := i
		for j+1 < len(ids) && ids[j+1] == ids[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(ids[i]))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(ids[j]))
		}
		i = j + 1
	}
	return b.String()
}

// List prints every id joined by commas, never as ranges: the form of
// `xl cpupool-list -c`.
func (s Set) List() string {
	ids := s.IDs()
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.Itoa(id)
	}
	return strings.Join(parts, ",")
}

// maxText is the length past which Text switches to ranges and cuts.
const maxText = 64

// Text prints s for a message: as List for up to 4 ids, else as ranges,
// cut after maxText bytes with the number of cpus left out ("0,2,4,...
// and 1470 more"), so a message stays one short line whatever the set.
func (s Set) Text() string {
	if s.Len() <= 4 {
		return s.List()
	}
	return s.Ranges()
}

// Ranges is String cut as Text cuts it, for messages that print sets as
// ranges.
func (s Set) Ranges() string {
	r := s.String()
	if len(r) <= maxText {
		return r
	}
	cut := strings.LastIndexByte(r[:maxText], ',')
	shown, err := Parse(r[:cut], nil)
	if err != nil {
		return r[:cut] + ",..."
	}
	return fmt.Sprintf("%s,... and %d more", r[:cut], s.Len()-shown.Len())
}

// MarshalJSON encodes s as a sorted array of ids.
func (s Set) MarshalJSON() ([]byte, error) { return json.Marshal(s.IDs()) }

// UnmarshalJSON accepts an array of ids.
func (s *Set) UnmarshalJSON(b []byte) error {
	var ids []int
	if err := json.Unmarshal(b, &ids); err != nil {
		return err
	}
	*s = Of(ids...)
	return nil
}

// MarshalYAML encodes s as a sequence of ids (gopkg.in/yaml.v3 calls it).
func (s Set) MarshalYAML() (any, error) { return s.IDs(), nil }

// Bitmap returns s as a little-endian byte bitmap of nbits bits (the form
// of Xen's xenctl_bitmap); ids at or above nbits are dropped.
func (s Set) Bitmap(nbits int) []byte {
	b := make([]byte, (nbits+7)/8)
	for _, id := range s.IDs() {
		if id >= nbits {
			break
		}
		b[id/8] |= 1 << (id % 8)
	}
	return b
}

// FromBitmap decodes a little-endian byte bitmap.
func FromBitmap(b []byte) Set {
	s := Set{words: make([]uint64, (len(b)+7)/8)}
	for i, c := range b {
		s.words[i/8] |= uint64(c) << (8 * (i % 8))
	}
	return s.trim()
}
