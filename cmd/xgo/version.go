package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/urfave/cli/v2"
)

// Stamped at build time:
//
//	go build -ldflags "-X main.version=1.2.3 -X main.commit=$(git rev-parse --short HEAD)" ./cmd/xgo
var (
	version = "devel"
	commit  = ""
)

// VersionOutput is the result of "xgo version".
type VersionOutput struct {
	SchemaVersion int    `json:"schemaVersion" yaml:"schemaVersion"`
	Version       string `json:"version" yaml:"version"`
	Commit        string `json:"commit,omitempty" yaml:"commit,omitempty"`
	GoVersion     string `json:"goVersion" yaml:"goVersion"`
	OS            string `json:"os" yaml:"os"`
	Arch          string `json:"arch" yaml:"arch"`
}

func (v *VersionOutput) writeText(w io.Writer, _ termInfo) error {
	c := ""
	if v.Commit != "" {
		c = " (commit " + v.Commit + ")"
	}
	_, err := fmt.Fprintf(w, "xgo version %s%s %s %s/%s\n", v.Version, c, v.GoVersion, v.OS, v.Arch)
	return err
}

func (v *VersionOutput) quietIDs() []string { return []string{v.Version} }

type versionOptions struct{}

func versionCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "Print xgo's version, commit, Go version and platform",
		Description: `EXAMPLES:
   xgo version
   xgo version -o json`,
		Action: func(c *cli.Context) error {
			if _, err := checkArgs(c, 0, 0); err != nil {
				return err
			}
			return runVersion(c.Context, versionOptions{}, e)
		},
	}
}

func runVersion(_ context.Context, _ versionOptions, e *env) error {
	return e.out.render(currentVersion())
}

func currentVersion() *VersionOutput {
	v := &VersionOutput{
		SchemaVersion: schemaVersion,
		Version:       version,
		Commit:        commit,
		GoVersion:     runtime.Version(),
		OS:            runtime.GOOS,
		Arch:          runtime.GOARCH,
	}
	if v.Commit == "" {
		if bi, ok := debug.ReadBuildInfo(); ok {
			var rev, dirty string
			for _, s := range bi.Settings {
				switch s.Key {
				case "vcs.revision":
					rev = s.Value
				case "vcs.modified":
					if s.Value == "true" {
						dirty = "-dirty"
					}
				}
			}
			if rev != "" {
				v.Commit = rev + dirty
			}
		}
	}
	return v
}
