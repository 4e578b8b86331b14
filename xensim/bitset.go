package xensim

import (
	"math/bits"

	"xgo.dev/xgo/cpuset"
)

// bitset is a fixed-size, mutable CPU mask (Xen's cpumask_t): the model's
// hot paths change masks in place, which cpuset.Set's value semantics
// would make allocate.
type bitset []uint64

func newBitset(n uint32) bitset { return make(bitset, (n+63)/64) }

func (b bitset) has(i uint32) bool {
	w := int(i / 64)
	return w < len(b) && b[w]&(1<<(i%64)) != 0
}

func (b bitset) set(i uint32)   { b[i/64] |= 1 << (i % 64) }
func (b bitset) clear(i uint32) { b[i/64] &^= 1 << (i % 64) }

func (b bitset) count() int {
	n := 0
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}

// first returns the lowest set bit (cpumask_first), ok false if empty.
func (b bitset) first() (uint32, bool) {
	for i, w := range b {
		if w != 0 {
			return uint32(i*64 + bits.TrailingZeros64(w)), true
		}
	}
	return 0, false
}

// last returns the highest set bit (cpumask_last), ok false if empty.
func (b bitset) last() (uint32, bool) {
	for i := len(b) - 1; i >= 0; i-- {
		if w := b[i]; w != 0 {
			return uint32(i*64 + 63 - bits.LeadingZeros64(w)), true
		}
	}
	return 0, false
}

func (b bitset) each(fn func(uint32)) {
	for i, w := range b {
		for w != 0 {
			j := bits.TrailingZeros64(w)
			fn(uint32(i*64 + j))
			w &^= 1 << j
		}
	}
}

// toSet converts to the value form the Hypervisor interface returns.
func (b bitset) toSet() cpuset.Set {
	var ids []int
	b.each(func(i uint32) { ids = append(ids, int(i)) })
	return cpuset.Of(ids...)
}

func bitsetOf(n uint32, s cpuset.Set) bitset {
	b := newBitset(n)
	for _, id := range s.IDs() {
		if id >= 0 && uint32(id) < n {
			b.set(uint32(id))
		}
	}
	return b
}
