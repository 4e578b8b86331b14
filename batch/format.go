package batch

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"xgo.dev/xgo/cpuset"
	"xgo.dev/xgo/yamlerr"
)

// Version is the batch file format's version, the value of its version
// key.
const Version = 1

// File is a decoded batch file.
type File struct {
	Name  string // as given to Decode, for messages
	Steps []*Step
}

// Step is one operation of a batch file.
type Step struct {
	N    int    // 1-based
	Op   string // the xgo command, e.g. "cpupool-create"
	Line int
	Col  int
	What string // the step in one line: the op and its arguments

	op operation
}

// ErrInvalid matches every error of Decode.
var ErrInvalid = errors.New("invalid batch file")

// Error is a mistake in a batch file, at File:Line:Col; Step is the step
// number (0 when the mistake is outside the steps).
type Error struct {
	File      string
	Line, Col int
	Step      int
	Op        string
	Msg       string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d:%d: ", e.File, e.Line, e.Col)
	if e.Step > 0 {
		fmt.Fprintf(&b, "step %d", e.Step)
		if e.Op != "" {
			fmt.Fprintf(&b, " (%s)", e.Op)
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Is makes every Error match ErrInvalid.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// Decode parses a batch file strictly: the version key, then the steps,
// each one operation with arguments of the right types and values. name
// (a file name, or "-" for stdin) prefixes messages. Every error is an
// *Error with a position.
func Decode(data []byte, name string) (*File, error) {
	if name == "" {
		name = "-"
	}
	root, p := yamlerr.Document(data, "version: 1 and a list of steps", "a batch file")
	if p != nil {
		return nil, &Error{File: name, Line: p.Line, Col: p.Col, Msg: p.Msg}
	}
	d := &decoder{file: name}
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	f, err := d.file1(root)
	if err != nil {
		return nil, err
	}
	return f, nil
}

type decoder struct {
	file string
	step *Step // the step being decoded, nil outside the steps
}

func (d *decoder) errf(n *yaml.Node, format string, args ...any) *Error {
	e := &Error{File: d.file, Line: max(n.Line, 1), Col: max(n.Column, 1), Msg: fmt.Sprintf(format, args...)}
	if d.step != nil {
		e.Step, e.Op = d.step.N, d.step.Op
	}
	return e
}

func (d *decoder) file1(root *yaml.Node) (*File, error) {
	if root.Kind != yaml.MappingNode {
		return nil, d.errf(root, "want a mapping with version and steps, have %s", yamlerr.KindName(root))
	}
	f := &File{Name: d.file}
	var version, steps *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch {
		case k.Kind != yaml.ScalarNode:
			return nil, d.errf(k, "a key must be a plain name")
		case k.Value == "version" && version == nil:
			version = v
		case k.Value == "steps" && steps == nil:
			steps = v
		case k.Value == "version" || k.Value == "steps":
			return nil, d.errf(k, "%s given twice", k.Value)
		case k.Value == "schemaVersion":
			// xgo export -o json|yaml adds it, as every JSON/YAML
			// document xgo prints has one; version is the file's format.
			if v.Kind != yaml.ScalarNode || v.Value != "1" {
				return nil, d.errf(v, "schemaVersion %s: this xgo reads schemaVersion 1", yamlerr.KindName(v))
			}
		default:
			return nil, d.errf(k, "unknown key %q (want version, steps)", k.Value)
		}
	}
	if version == nil {
		return nil, d.errf(root, "no version key: the file must start with version: %d", Version)
	}
	if version.Kind != yaml.ScalarNode || version.Value != strconv.Itoa(Version) {
		return nil, d.errf(version, "version %s: this xgo reads version %d", yamlerr.KindName(version), Version)
	}
	if steps == nil {
		return nil, d.errf(root, "no steps key: want a list of steps")
	}
	if steps.Kind != yaml.SequenceNode {
		if steps.Kind == yaml.ScalarNode && steps.Tag == "!!null" {
			return f, nil // an empty list
		}
		return nil, d.errf(steps, "steps: want a list, have %s", yamlerr.KindName(steps))
	}
	for i, sn := range steps.Content {
		s, err := d.step1(sn, i+1)
		if err != nil {
			return nil, err
		}
		f.Steps = append(f.Steps, s)
	}
	return f, nil
}

func (d *decoder) step1(n *yaml.Node, num int) (*Step, error) {
	d.step = &Step{N: num, Line: n.Line, Col: n.Column}
	defer func() { d.step = nil }()
	if n.Kind != yaml.MappingNode || len(n.Content) != 2 {
		return nil, d.errf(n, "want one operation and its arguments, such as \"- cpupool-destroy: {pool: rt}\", have %s", yamlerr.KindName(n))
	}
	k, v := n.Content[0], n.Content[1]
	if k.Kind != yaml.ScalarNode {
		return nil, d.errf(k, "the operation must be a name")
	}
	spec, ok := registry()[k.Value]
	if !ok {
		return nil, d.errf(k, "unknown operation %q (want %s)", k.Value, strings.Join(OpNames(), ", "))
	}
	d.step.Op = k.Value
	a := &args{d: d, at: v, vals: map[string]*yaml.Node{}, keys: map[string]*yaml.Node{}}
	switch {
	case v.Kind == yaml.ScalarNode && v.Tag == "!!null":
	case v.Kind != yaml.MappingNode:
		return nil, d.errf(v, "want the arguments as a mapping (%s), have %s", keyList(spec.keys), yamlerr.KindName(v))
	default:
		for i := 0; i+1 < len(v.Content); i += 2 {
			ak, av := v.Content[i], v.Content[i+1]
			switch {
			case ak.Kind != yaml.ScalarNode:
				return nil, d.errf(ak, "an argument name must be a plain name")
			case !slices.Contains(spec.keys, ak.Value):
				return nil, d.errf(ak, "unknown argument %q (want %s)", ak.Value, keyList(spec.keys))
			case a.vals[ak.Value] != nil:
				return nil, d.errf(ak, "argument %q given twice", ak.Value)
			}
			a.vals[ak.Value], a.keys[ak.Value] = av, ak
		}
	}
	op, err := spec.decode(a)
	if err != nil {
		return nil, err
	}
	d.step.op = op
	d.step.What = strings.TrimSpace(k.Value + " " + op.String())
	return d.step, nil
}

func keyList(keys []string) string {
	if len(keys) == 0 {
		return "no arguments"
	}
	return strings.Join(keys, ", ")
}

// args are a step's arguments, read by the operation's decoder with the
// typed getters below; the first mistake is kept with its position.
type args struct {
	d    *decoder
	at   *yaml.Node            // the arguments mapping (or null)
	vals map[string]*yaml.Node // argument values by name
	keys map[string]*yaml.Node // argument names, for positions
	err  *Error
}

func (a *args) fail(n *yaml.Node, format string, args ...any) {
	if a.err == nil {
		a.err = a.d.errf(n, format, args...)
	}
}

// done returns the first mistake, or nil.
func (a *args) done() error {
	if a.err != nil {
		return a.err
	}
	return nil
}

func (a *args) has(key string) bool { return a.vals[key] != nil }

// scalar returns the value of key as text; required reports a missing
// key as a mistake.
func (a *args) scalar(key string, required bool) (string, bool) {
	v := a.vals[key]
	if v == nil {
		if required {
			a.fail(a.at, "missing argument %q", key)
		}
		return "", false
	}
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		a.fail(v, "%s: want a single value, have %s", key, yamlerr.KindName(v))
		return "", false
	}
	return v.Value, true
}

// name is a pool, domain or path: a non-empty string.
func (a *args) name(key string, required bool) (string, bool) {
	s, ok := a.scalar(key, required)
	if ok && strings.TrimSpace(s) == "" {
		a.fail(a.vals[key], "%s: must not be empty", key)
		return "", false
	}
	return s, ok
}

func (a *args) int(key string, lo, hi int64, required bool) (int64, bool) {
	s, ok := a.scalar(key, required)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 10, 64)
	switch {
	case err != nil && lo == math.MinInt64:
		a.fail(a.vals[key], "invalid %s %q: not a whole number", key, s)
		return 0, false
	case err != nil || v < lo || v > hi:
		a.fail(a.vals[key], "invalid %s %q: must be a whole number between %d and %d", key, s, lo, hi)
		return 0, false
	}
	return v, true
}

func (a *args) bool(key string) (bool, bool) {
	s, ok := a.scalar(key, false)
	if !ok {
		return false, false
	}
	switch s {
	case "true", "yes", "on", "1":
		return true, true
	case "false", "no", "off", "0":
		return false, true
	}
	a.fail(a.vals[key], "%s: want true or false, have %q", key, s)
	return false, false
}

func (a *args) duration(key string) (time.Duration, bool) {
	s, ok := a.scalar(key, false)
	if !ok {
		return 0, false
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, true
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		a.fail(a.vals[key], "%s: want a duration such as 10s, have %q", key, s)
		return 0, false
	}
	return v, true
}

// cpus is a cpu-list: an xl string ("2-3,node:1,^5") or a YAML list of
// ids and such strings. Its syntax is checked here; the ids against the
// host when the step runs.
func (a *args) cpus(key string, required bool) (string, bool) {
	v := a.vals[key]
	if v == nil {
		if required {
			a.fail(a.at, "missing argument %q (a cpu-list such as \"2-3\" or [2, 3])", key)
		}
		return "", false
	}
	var items []string
	switch v.Kind {
	case yaml.ScalarNode:
		if v.Tag == "!!null" {
			a.fail(v, "%s: want a cpu-list such as \"2-3\" or [2, 3], have nothing", key)
			return "", false
		}
		items = []string{v.Value}
	case yaml.SequenceNode:
		if len(v.Content) == 0 {
			a.fail(v, "%s: an empty list names no CPUs", key)
			return "", false
		}
		for _, it := range v.Content {
			if it.Kind != yaml.ScalarNode || it.Tag == "!!null" || strings.Contains(it.Value, ",") {
				a.fail(it, "%s: want one CPU id, range or node:N per list item, have %s", key, yamlerr.KindName(it))
				return "", false
			}
			items = append(items, it.Value)
		}
	default:
		a.fail(v, "%s: want a cpu-list such as \"2-3\" or [2, 3], have %s", key, yamlerr.KindName(v))
		return "", false
	}
	list := strings.Join(items, ",")
	if err := cpuset.CheckSyntax(list); err != nil {
		a.fail(v, "%s: %v", key, err)
		return "", false
	}
	return list, true
}
