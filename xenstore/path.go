package xenstore

import (
	"fmt"
	"strings"
)

// Special watch paths (docs/misc/xenstore.txt). They name events, not nodes:
// they are valid only for WATCH and UNWATCH.
const (
	WatchIntroduceDomain = "@introduceDomain"
	WatchReleaseDomain   = "@releaseDomain"
)

// PathError reports a path the client refuses to send, and why.
type PathError struct {
	Path   string
	Reason string
}

func (e *PathError) Error() string {
	return fmt.Sprintf("invalid xenstore path %q: %s", e.Path, e.Reason)
}

// Unwrap makes errors.Is(err, ErrInvalid) true, matching the EINVAL the
// daemon would have answered.
func (e *PathError) Unwrap() error { return ErrInvalid }

// ValidatePath checks p the way C xenstored's is_valid_nodename does before
// anything is sent: characters from [A-Za-z0-9-/_@], no "//", no trailing
// "/" except for the root, at most AbsPathMax bytes for an absolute path and
// RelPathMax for a relative one (relative paths are resolved by the daemon
// against the connection's domain home, /local/domain/<domid>).
func ValidatePath(p string) error {
	if p == "" {
		return &PathError{p, "empty path"}
	}
	if i := strings.IndexFunc(p, func(r rune) bool { return !validPathRune(r) }); i >= 0 {
		return &PathError{p, fmt.Sprintf("character %q at offset %d is not allowed (allowed: A-Z a-z 0-9 - / _ @)", p[i], i)}
	}
	if strings.Contains(p, "//") {
		return &PathError{p, `contains "//"`}
	}
	if len(p) > 1 && strings.HasSuffix(p, "/") {
		return &PathError{p, `ends with "/"`}
	}
	if p[0] == '/' {
		if len(p) > AbsPathMax {
			return &PathError{truncate(p), fmt.Sprintf("%d bytes, longer than %d", len(p), AbsPathMax)}
		}
	} else if len(p) > RelPathMax {
		return &PathError{truncate(p), fmt.Sprintf("%d bytes, longer than %d for a relative path", len(p), RelPathMax)}
	}
	if p[0] == '@' {
		return &PathError{p, "special @ paths can only be watched"}
	}
	return nil
}

// ValidateWatchPath accepts what ValidatePath accepts plus the special
// watch paths @introduceDomain and @releaseDomain.
func ValidateWatchPath(p string) error {
	if p == WatchIntroduceDomain || p == WatchReleaseDomain {
		return nil
	}
	if strings.HasPrefix(p, "@") {
		return &PathError{p, "unknown special path (want @introduceDomain or @releaseDomain)"}
	}
	return ValidatePath(p)
}

func validPathRune(r rune) bool {
	switch {
	case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		return true
	case r == '-' || r == '/' || r == '_' || r == '@':
		return true
	}
	return false
}

func truncate(p string) string {
	if len(p) > 64 {
		return p[:61] + "..."
	}
	return p
}
