package main

import (
	"bytes"
	"io"
	"strconv"
	"testing"
)

// ItemListOutput is a result shaped like the list commands' results,
// for the renderer's golden tests.
type ItemListOutput struct {
	SchemaVersion int    `json:"schemaVersion" yaml:"schemaVersion"`
	Items         []Item `json:"items" yaml:"items"`
}

type Item struct {
	Name  string `json:"name" yaml:"name"`
	CPUs  int    `json:"cpus" yaml:"cpus"`
	Sched string `json:"sched" yaml:"sched"`
}

func (o *ItemListOutput) tableHeader() []string { return []string{"NAME", "CPUS", "SCHED"} }
func (o *ItemListOutput) tableRows() [][]string {
	rows := make([][]string, len(o.Items))
	for i, it := range o.Items {
		rows[i] = []string{it.Name, strconv.Itoa(it.CPUs), it.Sched}
	}
	return rows
}
func (o *ItemListOutput) quietIDs() []string {
	ids := make([]string, len(o.Items))
	for i, it := range o.Items {
		ids[i] = it.Name
	}
	return ids
}

var sampleItems = &ItemListOutput{
	SchemaVersion: schemaVersion,
	Items: []Item{
		{"Pool-0", 8, "credit2"},
		{"rt-pool", 2, "rtds"},
		{"a-pool-with-a-long-name", 12, "credit"},
	},
}

func TestRenderGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		r    renderer
	}{
		{"render/table-tty.golden", renderer{format: formatTable, term: termInfo{tty: true, width: 80}}},
		{"render/plain.golden", renderer{format: formatTable}},
		{"render/json.golden", renderer{format: formatJSON}},
		{"render/yaml.golden", renderer{format: formatYAML}},
		{"render/quiet.golden", renderer{format: formatTable, quiet: true}},
		{"render/quiet-tty.golden", renderer{format: formatTable, quiet: true, term: termInfo{tty: true, width: 80}}},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		tt.r.w = &b
		if err := tt.r.render(sampleItems); err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		golden(t, tt.file, b.String())
	}
}

type eventOutput struct {
	SchemaVersion int    `json:"schemaVersion" yaml:"schemaVersion"`
	Path          string `json:"path" yaml:"path"`
	Token         string `json:"token" yaml:"token"`
}

func (e *eventOutput) writeText(w io.Writer, _ termInfo) error {
	_, err := io.WriteString(w, e.Path+"\n")
	return err
}

func TestRenderStream(t *testing.T) {
	t.Parallel()
	ev := &eventOutput{SchemaVersion: schemaVersion, Path: "/a/b", Token: "/a"}
	for format, want := range map[string]string{
		formatJSON:  `{"schemaVersion":1,"path":"/a/b","token":"/a"}` + "\n",
		formatYAML:  "---\nschemaVersion: 1\npath: /a/b\ntoken: /a\n",
		formatTable: "/a/b\n",
	} {
		var b bytes.Buffer
		r := renderer{w: &b, format: format}
		if err := r.stream(ev); err != nil {
			t.Fatal(err)
		}
		if err := r.stream(ev); err != nil {
			t.Fatal(err)
		}
		if b.String() != want+want {
			t.Errorf("%s stream: got %q, want %q twice", format, b.String(), want)
		}
	}
}

func TestRenderNoTextForm(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	r := renderer{w: &b, format: formatTable}
	if err := r.render(struct{ SchemaVersion int }{1}); err == nil {
		t.Error("rendering a value without a text form did not fail")
	}
}
