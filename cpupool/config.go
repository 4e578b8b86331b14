package cpupool

import (
	"fmt"
	"path"
	"strconv"
	"strings"
)

// Config is a cpupool definition as `xl cpupool-create` reads it: an
// xlcpupool.cfg(5) file plus KEY=VALUE arguments, which override the file.
//
//	name  = "rt"                  # default: the file's base name
//	sched = "credit"              # default: Xen's default scheduler
//	cpus  = "2-3"  or  ["2", "3"] # a cpu-list, or a list of cpu ids
//	nodes = [1]                   # instead of cpus: the free cpus of these nodes
type Config struct {
	// Source is the config file, or "command line" when there is none,
	// as xl's "Using config file" line prints it.
	Source string
	File   string

	Name     string
	HasName  bool
	Sched    string // "" for Xen's default
	CPUs     string // a cpu-list (cpus = "2-3")
	CPUItems []string
	HasCPUs  bool // CPUs or CPUItems (cpus = ["2","3"]) was given
	IsList   bool // cpus was a list
	Nodes    []string
	HasNodes bool
}

// ConfigName is the name the pool gets: name=, else the config file's
// base name (libxl_basename), else "".
func (c *Config) ConfigName() string {
	if c.HasName {
		return c.Name
	}
	if c.File != "" {
		return path.Base(c.File)
	}
	return ""
}

// ParseConfig reads a cpupool config from data (the contents of file,
// which may be empty) and KEY=VALUE args, with the grammar of xl's config
// files (libxlu): `key = "string"`, `key = 123`, `key = [ "a", "b" ]`,
// `key += ...`, statements ended by a newline or ';', and # comments.
// Arguments are read after the file, so they win. Unlike xl, an argument
// may also give a bare word (name=rt, cpus=2-3; spaces around the key,
// "=" and the word are skipped, as xl skips them around a quoted value)
// and an unknown key is an error rather than ignored. Errors match ErrInvalid and give the line.
func ParseConfig(file string, data []byte, args []string) (*Config, error) {
	c := &Config{Source: "command line", File: file}
	settings := map[string]*cfgValue{}
	if file != "" {
		c.Source = file
		if err := parseCfg(file, string(data), settings); err != nil {
			return nil, err
		}
	}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			return nil, invalidf("%q is not KEY=VALUE", a)
		}
		if err := parseCfg("command line", a, settings); err != nil {
			// A bare word: name=rt, cpus=2-3. Spaces around it are not
			// part of it, as xl's parser skips them around a quoted value.
			v = strings.TrimSpace(v)
			if bareKey(k) && v != "" && !strings.ContainsAny(v[:1], `"'[`) {
				settings[strings.TrimSpace(k)] = &cfgValue{str: v}
				continue
			}
			return nil, err
		}
	}
	for k, v := range settings {
		switch k {
		case "name":
			s, err := v.scalar(k)
			if err != nil {
				return nil, err
			}
			c.Name, c.HasName = s, true
		case "sched":
			s, err := v.scalar(k)
			if err != nil {
				return nil, err
			}
			c.Sched = s
		case "cpus":
			c.HasCPUs = true
			if v.isList {
				c.IsList = true
				for _, it := range v.list {
					s, err := it.scalar("cpus item")
					if err != nil {
						return nil, err
					}
					c.CPUItems = append(c.CPUItems, s)
				}
			} else {
				c.CPUs = v.str
			}
		case "nodes":
			c.HasNodes = true
			if !v.isList {
				c.Nodes = []string{v.str} // xl warns and ignores a single value; take it
				continue
			}
			for _, it := range v.list {
				s, err := it.scalar("nodes item")
				if err != nil {
					return nil, err
				}
				c.Nodes = append(c.Nodes, s)
			}
		default:
			return nil, invalidf("%s: unknown cpupool setting %q (want name, sched, cpus or nodes)", c.Source, k)
		}
	}
	return c, nil
}

func bareKey(k string) bool {
	k = strings.TrimSpace(k)
	if k == "" || k[0] < 'a' || k[0] > 'z' {
		return false
	}
	for i := 1; i < len(k); i++ {
		ch := k[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '.' || ch == '_') {
			return false
		}
	}
	return true
}

// cfgValue is a config value: a string (quoted or a number) or a list.
type cfgValue struct {
	str    string
	list   []*cfgValue
	isList bool
}

func (v *cfgValue) scalar(what string) (string, error) {
	if v.isList {
		return "", invalidf("%s must be a single value, not a list", what)
	}
	return v.str, nil
}

// ------------------------------------------------------------ lexer/parser

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tNumber
	tString
	tComma
	tLBrack
	tRBrack
	tAssign
	tAdd
	tSemi
	tNewline
)

type token struct {
	kind tokKind
	text string
	line int
}

func lexCfg(src, data string) ([]token, error) {
	var toks []token
	line := 1
	for i := 0; i < len(data); {
		ch := data[i]
		switch {
		case ch == ' ' || ch == '\t' || ch == '\r':
			i++
		case ch == '\n':
			toks = append(toks, token{tNewline, "", line})
			line++
			i++
		case ch == '#':
			for i < len(data) && data[i] != '\n' {
				i++
			}
		case ch >= 'a' && ch <= 'z':
			j := i + 1
			for j < len(data) && (data[j] >= 'a' && data[j] <= 'z' || data[j] >= '0' && data[j] <= '9' || data[j] == '.' || data[j] == '_') {
				j++
			}
			toks = append(toks, token{tIdent, data[i:j], line})
			i = j
		case ch >= '0' && ch <= '9':
			j := i + 1
			for j < len(data) && (data[j] >= '0' && data[j] <= '9' || data[j] >= 'a' && data[j] <= 'f' || data[j] == 'x') {
				j++
			}
			toks = append(toks, token{tNumber, data[i:j], line})
			i = j
		case ch == '"' || ch == '\'':
			s, n, err := dequote(data[i:], ch)
			if err != nil {
				return nil, invalidf("%s:%d: %v", src, line, err)
			}
			toks = append(toks, token{tString, s, line})
			i += n
		case ch == ',':
			toks = append(toks, token{tComma, ",", line})
			i++
		case ch == '[':
			toks = append(toks, token{tLBrack, "[", line})
			i++
		case ch == ']':
			toks = append(toks, token{tRBrack, "]", line})
			i++
		case ch == '+' && i+1 < len(data) && data[i+1] == '=':
			toks = append(toks, token{tAdd, "+=", line})
			i += 2
		case ch == '=':
			toks = append(toks, token{tAssign, "=", line})
			i++
		case ch == ';':
			toks = append(toks, token{tSemi, ";", line})
			i++
		default:
			j := i
			for j < len(data) && data[j] != ' ' && data[j] != '\t' && data[j] != '\n' {
				j++
			}
			return nil, invalidf("%s:%d: config parsing error near %q: lexical error", src, line, data[i:j])
		}
	}
	return append(toks, token{tEOF, "", line}), nil
}

// dequote reads a quoted string at the start of s (quote q) with
// backslash escapes, and returns it and the bytes it took.
func dequote(s string, q byte) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch ch := s[i]; ch {
		case q:
			return b.String(), i + 1, nil
		case '\n':
			return "", 0, fmt.Errorf("unterminated string")
		case '\\':
			i++
			if i >= len(s) {
				return "", 0, fmt.Errorf("unterminated string")
			}
			switch e := s[i]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '\\', '\'', '"':
				b.WriteByte(e)
			default:
				return "", 0, fmt.Errorf("unknown escape \\%c", e)
			}
		default:
			b.WriteByte(ch)
		}
	}
	return "", 0, fmt.Errorf("unterminated string")
}

type cfgParser struct {
	src  string
	toks []token
	pos  int
}

func (p *cfgParser) peek() token { return p.toks[p.pos] }
func (p *cfgParser) next() token {
	t := p.toks[p.pos]
	if t.kind != tEOF {
		p.pos++
	}
	return t
}

func (p *cfgParser) errorf(t token, format string, args ...any) error {
	near := t.text
	if t.kind == tNewline {
		near = "end of line"
	} else if t.kind == tEOF {
		near = "end of input"
	}
	return invalidf("%s:%d: config parsing error near %q: %s", p.src, t.line, near, fmt.Sprintf(format, args...))
}

func parseCfg(src, data string, settings map[string]*cfgValue) error {
	toks, err := lexCfg(src, data)
	if err != nil {
		return err
	}
	p := &cfgParser{src: src, toks: toks}
	for {
		t := p.next()
		switch t.kind {
		case tEOF:
			return nil
		case tNewline, tSemi:
			continue
		case tIdent:
		default:
			return p.errorf(t, "expected a setting name")
		}
		op := p.next()
		if op.kind != tAssign && op.kind != tAdd {
			return p.errorf(op, "expected = or +=")
		}
		v, err := p.value()
		if err != nil {
			return err
		}
		if end := p.next(); end.kind != tNewline && end.kind != tSemi && end.kind != tEOF {
			return p.errorf(end, "expected end of statement")
		}
		if op.kind == tAssign || settings[t.text] == nil {
			settings[t.text] = v
			continue
		}
		old := settings[t.text]
		switch {
		case old.isList && v.isList:
			old.list = append(old.list, v.list...)
		case !old.isList && !v.isList:
			old.str += v.str
		default:
			return p.errorf(op, "+= mixes a list and a single value for %s", t.text)
		}
	}
}

func (p *cfgParser) skipNewlines() {
	for p.peek().kind == tNewline {
		p.next()
	}
}

func (p *cfgParser) value() (*cfgValue, error) {
	t := p.next()
	switch t.kind {
	case tString, tNumber:
		return &cfgValue{str: t.text}, nil
	case tLBrack:
		v := &cfgValue{isList: true}
		p.skipNewlines()
		if p.peek().kind == tRBrack {
			p.next()
			return v, nil
		}
		for {
			it, err := p.value()
			if err != nil {
				return nil, err
			}
			v.list = append(v.list, it)
			p.skipNewlines()
			sep := p.next()
			if sep.kind == tRBrack {
				return v, nil
			}
			if sep.kind != tComma {
				return nil, p.errorf(sep, "expected , or ]")
			}
			p.skipNewlines()
			if p.peek().kind == tRBrack {
				p.next()
				return v, nil
			}
		}
	}
	return nil, p.errorf(t, "expected a quoted string, a number or a list")
}

// atoi reads a config item as xl's atoi would, but strictly: a decimal
// number, nothing else.
func atoiItem(what, s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 {
		return 0, invalidf("%s %q is not a cpu or node number", what, s)
	}
	return n, nil
}
