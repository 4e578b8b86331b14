package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/olekukonko/tablewriter"
	"gopkg.in/yaml.v3"
)

// Output formats accepted by -o/--output.
const (
	formatTable = "table"
	formatJSON  = "json"
	formatYAML  = "yaml"
)

// schemaVersion is the version of every JSON/YAML output struct. It goes
// up when a field is removed or changes meaning; adding a field does not
// change it.
const schemaVersion = 1

// What a command returns for printing is an exported struct with a
// SchemaVersion field: it is encoded as it is for -o json and -o yaml. For
// the other modes it implements some of these views.
type (
	// tableView gives the rows for the human format: a bordered table on
	// a terminal, aligned plain text when piped.
	tableView interface {
		tableHeader() []string
		tableRows() [][]string
	}
	// textView is for results that have an exact text form to honour,
	// such as the layout of xenstore-ls. It is used instead of the table
	// on a terminal and in a pipe alike.
	textView interface {
		writeText(w io.Writer, t termInfo) error
	}
	// quietView gives the identifiers that -q prints, one per line.
	quietView interface {
		quietIDs() []string
	}
)

// termInfo is what text output may know about stdout.
type termInfo struct {
	tty   bool // stdout is a terminal
	width int  // its width in columns, 0 if unknown or not a terminal
}

// renderer prints command results in the format the global flags chose.
// It is the only code that knows about tablewriter, JSON and YAML.
type renderer struct {
	w      io.Writer
	format string // formatTable, formatJSON or formatYAML
	quiet  bool
	term   termInfo
}

// render prints v.
func (r *renderer) render(v any) error {
	switch r.format {
	case formatJSON:
		return writeJSON(r.w, v, true)
	case formatYAML:
		return writeYAML(r.w, v)
	}
	if r.quiet {
		q, ok := v.(quietView)
		if !ok {
			// Printing nothing would look like an empty result.
			return usagef("-q/--quiet: this command prints no identifiers (use -o json or -o yaml in scripts)")
		}
		var b strings.Builder
		for _, id := range q.quietIDs() {
			b.WriteString(id)
			b.WriteByte('\n')
		}
		_, err := io.WriteString(r.w, b.String())
		return err
	}
	if t, ok := v.(textView); ok {
		return t.writeText(r.w, r.term)
	}
	if t, ok := v.(tableView); ok {
		if r.term.tty {
			return writeTable(r.w, t.tableHeader(), t.tableRows())
		}
		return writePlain(r.w, t.tableHeader(), t.tableRows())
	}
	return fmt.Errorf("internal error: %T has no text form", v)
}

// stream prints one element of a stream of results (xenstore watch
// events): JSON lines, YAML documents, or v's text/quiet form.
func (r *renderer) stream(v any) error {
	switch r.format {
	case formatJSON:
		return writeJSON(r.w, v, false)
	case formatYAML:
		if _, err := io.WriteString(r.w, "---\n"); err != nil {
			return err
		}
		return writeYAML(r.w, v)
	}
	return r.render(v)
}

func writeJSON(w io.Writer, v any, indent bool) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if indent {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}

func writeYAML(w io.Writer, v any) error {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}

// writePlain prints aligned columns separated by two spaces, with no
// borders or colour, for pipes and scripts.
func writePlain(w io.Writer, header []string, rows [][]string) error {
	tabw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	if len(header) > 0 {
		fmt.Fprintln(tabw, strings.Join(header, "\t"))
	}
	for _, row := range rows {
		fmt.Fprintln(tabw, strings.Join(row, "\t"))
	}
	return tabw.Flush()
}

// writeTable draws a bordered table for a terminal. This is the only use
// of tablewriter, whose API changes between major versions. It is
// v0.0.5 on purpose: v1 builds 663 KB of width tables at init, which
// every command paid, table or not (docs/perf.md, start-up).
func writeTable(w io.Writer, header []string, rows [][]string) error {
	t := tablewriter.NewWriter(w)
	t.SetAutoFormatHeaders(false)
	t.SetHeaderAlignment(tablewriter.ALIGN_LEFT)
	t.SetAlignment(tablewriter.ALIGN_LEFT)
	t.SetAutoWrapText(false)
	if len(header) > 0 {
		t.SetHeader(header)
	}
	t.AppendBulk(rows)
	t.Render()
	return nil
}
