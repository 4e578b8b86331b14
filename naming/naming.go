package naming

import "strconv"

// DomainPath is the XenStore home of domain id: /local/domain/<id>.
func DomainPath(id uint32) string { return "/local/domain/" + strconv.FormatUint(uint64(id), 10) }

// DomainNamePath is where the toolstack keeps domain id's name.
func DomainNamePath(id uint32) string { return DomainPath(id) + "/name" }

// PoolPath is the XenStore directory of cpupool id: /local/pool/<id>.
func PoolPath(id uint32) string { return "/local/pool/" + strconv.FormatUint(uint64(id), 10) }

// PoolNamePath is where the toolstack keeps cpupool id's name.
func PoolNamePath(id uint32) string { return PoolPath(id) + "/name" }

// IsID reports whether q is all digits (and not empty): libxl reads such
// a qualifier as an id, never as a name.
func IsID(q string) bool {
	if q == "" {
		return false
	}
	for i := 0; i < len(q); i++ {
		if q[i] < '0' || q[i] > '9' {
			return false
		}
	}
	return true
}

// Find returns the index of the item q names among items, listed by
// ascending id: an all-digit q is compared with id(item) (and must fit
// in bits), anything else with the names that name(item) reports
// present, the first match winning. It returns -1 when none matches.
func Find[T any](items []T, q string, bits int, id func(T) uint32, name func(T) (string, bool)) int {
	if IsID(q) {
		n, err := strconv.ParseUint(q, 10, bits)
		if err != nil {
			return -1
		}
		for i, it := range items {
			if uint64(id(it)) == n {
				return i
			}
		}
		return -1
	}
	for i, it := range items {
		if s, ok := name(it); ok && s == q {
			return i
		}
	}
	return -1
}
