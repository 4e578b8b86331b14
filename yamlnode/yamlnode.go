package yamlnode

import (
	"fmt"
	"strconv"

	"gopkg.in/yaml.v3"
)

// Mapping builds a YAML mapping from key, value pairs; a value is a
// *yaml.Node or what Value takes. It is written in flow style ({a: 1,
// b: 2}) while every value is a scalar; a node value makes it a block.
func Mapping(kvs ...any) *yaml.Node {
	return mapping(func(*yaml.Node) bool { return true }, kvs)
}

// FlowMapping is Mapping that stays in flow style around nodes that are
// scalars or themselves in flow style: only a nested block makes it a
// block.
func FlowMapping(kvs ...any) *yaml.Node {
	return mapping(func(v *yaml.Node) bool { return v.Kind != yaml.ScalarNode && v.Style != yaml.FlowStyle }, kvs)
}

func mapping(blocks func(*yaml.Node) bool, kvs []any) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
	for i := 0; i+1 < len(kvs); i += 2 {
		n.Content = append(n.Content, Scalar(kvs[i].(string)), Value(kvs[i+1]))
		if v, ok := kvs[i+1].(*yaml.Node); ok && blocks(v) {
			n.Style = 0
		}
	}
	return n
}

// Scalar is a string scalar.
func Scalar(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

// Value is v as a node: a *yaml.Node as it is, a string, an int, int64,
// uint32 or a bool as a scalar of its type.
func Value(v any) *yaml.Node {
	switch v := v.(type) {
	case *yaml.Node:
		return v
	case string:
		return Scalar(v)
	case int:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(v)}
	case int64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(v, 10)}
	case uint32:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatUint(uint64(v), 10)}
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(v)}
	}
	panic(fmt.Sprintf("yamlnode: no YAML form for %T", v))
}
