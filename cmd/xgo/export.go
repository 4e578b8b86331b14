package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"
	"gopkg.in/yaml.v3"

	"xgo.dev/xgo/batch"
)

func exportCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "export",
		Usage: "Write the host's cpupool, CPU and vsnd layout as a batch file",
		Description: `Writes the layout of the host as a batch file (YAML; -o json gives the
same in JSON) that recreates it with "xgo batch run" on a host of the
same hardware whose CPUs are all online in Pool-0 and whose domains all
run there: offline CPUs, the other cpupools with their scheduler,
parameters and CPUs, CPUs in no pool, Pool-0's parameters, which pool
each domain runs in and its scheduler parameters, and the vsnd cards
toolstacks gave the domains. Values Xen gives a new pool or domain anyway
are left out.

EXAMPLES:
   xgo export > host.yaml
   xgo --sim export
   xgo export -o json`,
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
			out, err := batch.Export(c.Context, &batch.Host{HV: h.hv, XS: xs})
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
