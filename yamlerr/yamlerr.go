// Package yamlerr places yaml.v3 syntax errors at the right line and
// column of the file, for the messages of batch files and simulator
// specs, and names the nodes those messages point at (KindName). It
// imports nothing of the module.
package yamlerr

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// yamlLine finds "line N" in a yaml.v3 syntax error. It is compiled on
// first use: every xgo command would pay for it at init.
var yamlLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^yaml: line (\d+): (.*)$`) })

// At places a yaml.v3 syntax error in data. yaml.v3 gives the
// line of a scanner error, but for a parser error ("did not find
// expected ...") the 0-based line of the construct it was parsing, one
// too few: an unclosed "[" or "{" on line 3 came out as line 2. An
// unclosed bracket is found and named where it opens; other parser
// errors get the line the construct starts on.
func At(data []byte, err error) (line, col int, msg string) {
	msg = strings.TrimPrefix(err.Error(), "yaml: ")
	line, col = 1, 1
	m := yamlLine().FindStringSubmatch(err.Error())
	if m == nil {
		return line, col, msg
	}
	line, _ = strconv.Atoi(m[1])
	msg = m[2]
	if !strings.HasPrefix(msg, "did not find expected") {
		return max(line, 1), col, msg // a scanner error: the line is right
	}
	if l, c, open, ok := unclosedBracket(data); ok {
		return l, c, fmt.Sprintf("%q is not closed: %s", string(open), msg)
	}
	return line + 1, col, msg
}

// unclosedBracket finds the first flow "[" or "{" of data that is never
// closed, outside quotes and comments.
func unclosedBracket(data []byte) (line, col int, open byte, ok bool) {
	type pos struct {
		line, col int
		c         byte
	}
	var stack []pos
	l, c := 1, 0
	var quote byte
	comment := false
	prev := byte('\n')
	for i := 0; i < len(data); i++ {
		b := data[i]
		c++
		switch {
		case b == '\n':
			l, c, comment = l+1, 0, false // a quoted scalar may go on
		case comment:
		case quote != 0:
			switch {
			case quote == '"' && b == '\\':
				i++
				c++
			case b == quote && quote == '\'' && i+1 < len(data) && data[i+1] == '\'':
				i++
				c++
			case b == quote:
				quote = 0
			}
		case b == '#' && (prev == ' ' || prev == '\t' || prev == '\n'):
			comment = true
		case b == '"' || b == '\'':
			quote = b
		case b == '[' || b == '{':
			stack = append(stack, pos{l, c, b})
		case (b == ']' || b == '}') && len(stack) > 0:
			top := stack[len(stack)-1]
			if top.c == '[' && b != ']' || top.c == '{' && b != '}' {
				return top.line, top.col, top.c, true // closed by the wrong one
			}
			stack = stack[:len(stack)-1]
		}
		prev = b
	}
	if len(stack) == 0 {
		return 0, 0, 0, false
	}
	return stack[0].line, stack[0].col, stack[0].c, true
}

// KindName says what a node is, for messages that say what was expected
// instead: "a mapping", "a list", "an alias", "nothing" (a null), a
// scalar's quoted text, or "a document".
func KindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "a document"
}

// Problem is a file's mistake, at a 1-based line and column.
type Problem struct {
	Line, Col int
	Msg       string
}

// Document decodes data as exactly one YAML document and returns its
// node. An empty file, a syntax error (placed by At) or a second
// document is a Problem; want says what the file should hold ("version:
// 1 and a list of steps") and kind what it is ("a batch file").
func Document(data []byte, want, kind string) (*yaml.Node, *Problem) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Problem{Line: 1, Col: 1, Msg: "empty file: want " + want}
		}
		line, col, msg := At(data, err)
		return nil, &Problem{Line: line, Col: col, Msg: msg}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		line := extra.Line
		if len(extra.Content) > 0 {
			line = extra.Content[0].Line
		}
		return nil, &Problem{Line: max(line, 1), Col: 1, Msg: "a second YAML document: " + kind + " is one document"}
	}
	return &doc, nil
}
