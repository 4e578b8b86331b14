package hypercall

import (
	"math/bits"
	"strconv"
	"strings"
)

// CPUSet is a set of CPU ids in the byte layout of Xen's xenctl_bitmap:
// CPU i is bit i%8 of byte i/8. The zero value is the empty set. Sets
// returned by this package have no trailing zero bytes, so two equal sets
// compare equal with bytes.Equal.
type CPUSet []byte

// NewCPUSet returns the set of the given CPUs.
func NewCPUSet(cpus ...uint32) CPUSet {
	var s CPUSet
	for _, c := range cpus {
		s = s.Add(c)
	}
	return s
}

// cpuSetFromBitmap copies a bitmap filled by Xen and trims trailing zero
// bytes.
func cpuSetFromBitmap(b []byte) CPUSet {
	n := len(b)
	for n > 0 && b[n-1] == 0 {
		n--
	}
	if n == 0 {
		return nil
	}
	return CPUSet(append([]byte(nil), b[:n]...))
}

// Add returns s with cpu added; s may be modified.
func (s CPUSet) Add(cpu uint32) CPUSet {
	i := int(cpu / 8)
	for len(s) <= i {
		s = append(s, 0)
	}
	s[i] |= 1 << (cpu % 8)
	return s
}

// Has reports whether cpu is in s.
func (s CPUSet) Has(cpu uint32) bool {
	i := int(cpu / 8)
	return i < len(s) && s[i]&(1<<(cpu%8)) != 0
}

// Len returns the number of CPUs in s.
func (s CPUSet) Len() int {
	n := 0
	for _, b := range s {
		n += bits.OnesCount8(b)
	}
	return n
}

// CPUs returns the CPUs in s in ascending order.
func (s CPUSet) CPUs() []uint32 {
	out := make([]uint32, 0, s.Len())
	for i, b := range s {
		for b != 0 {
			j := bits.TrailingZeros8(b)
			out = append(out, uint32(i*8+j))
			b &^= 1 << j
		}
	}
	return out
}

// String returns s as ranges, e.g. "0-3,6".
func (s CPUSet) String() string {
	cpus := s.CPUs()
	var sb strings.Builder
	for i := 0; i < len(cpus); {
		j := i
		for j+1 < len(cpus) && cpus[j+1] == cpus[j]+1 {
			j++
		}
		if sb.Len() > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(strconv.FormatUint(uint64(cpus[i]), 10))
		if j > i {
			sb.WriteByte('-')
			sb.WriteString(strconv.FormatUint(uint64(cpus[j]), 10))
		}
		i = j + 1
	}
	return sb.String()
}
