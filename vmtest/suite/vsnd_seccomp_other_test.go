//go:build xenlab && !amd64

package suite

import "errors"

// vbSeccomp: the lab is x86_64, and so is vbSystemService.
func vbSeccomp(kill bool) error { return errors.New("the seccomp filter is only built for amd64") }
