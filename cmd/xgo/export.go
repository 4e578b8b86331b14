package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"
	"gopkg.in/yaml.v3"

	"xgo.dev/xgo/batch"
	"xgo.dev/xgo/layout"
)

func exportCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "export",
		Usage: "Write the host's cpupool, CPU and vsnd layout as a layout file (or a batch file)",
		Description: `Writes the layout of the host as a layout file (YAML; -o json gives the
same in JSON; docs/layout.md): the pCPUs offline, every cpupool with its
name (Pool-0's included), scheduler, CPUs and parameters, every domain's
pool and scheduler parameters, and the vsnd cards xgo gave the domains.
"xgo apply FILE" makes a host match it, and "xgo diff FILE" shows what
differs.

--batch writes a batch file instead, which recreates the layout with
"xgo batch run" on a host of the same hardware whose CPUs are all online
in Pool-0 and whose domains all run there; values Xen gives a new pool
or domain anyway are left out of it.

EXAMPLES:
   xgo export > /etc/xgo/host.yaml
   xgo --sim export
   xgo export --batch > host-batch.yaml
   xgo export -o json`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "batch", Usage: "write a batch file (xgo batch run) instead of a layout file", DisableDefaultText: true},
		},
		Action: func(c *cli.Context) error {
			if _, err := checkArgs(c, 0, 0); err != nil {
				return err
			}
			if e.global.Quiet {
				return usagef("-q/--quiet: export prints no identifiers (use -o json or -o yaml in scripts)")
			}
			h, err := openHost(c.Context, e, true, false)
			if err != nil {
				return err
			}
			defer h.Close()
			xs, ok := h.xs.(batch.Store)
			if !ok {
				return errors.New("export: the host's XenStore cannot be reached (pool and domain names live there)")
			}
			export := layout.Export
			if c.Bool("batch") {
				export = batch.Export
			}
			out, err := export(c.Context, &batch.Host{HV: h.hv, XS: xs})
			if err != nil {
				return err
			}
			switch e.global.Output {
			case formatJSON:
				var v map[string]any
				if err := yaml.Unmarshal(out, &v); err != nil {
					return fmt.Errorf("export: %w", err)
				}
				v["schemaVersion"] = schemaVersion
				j, err := json.MarshalIndent(v, "", "  ")
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(e.Stdout, "%s\n", j)
				return err
			case formatYAML:
				// The batch file with the schemaVersion every -o yaml
				// document has (batch run accepts it).
				out = bytes.Replace(out, []byte("\nversion: "), []byte(fmt.Sprintf("\nschemaVersion: %d\nversion: ", schemaVersion)), 1)
			}
			_, err = e.Stdout.Write(out)
			return err
		},
	}
}
