package yamlnode

import (
	"testing"

	"gopkg.in/yaml.v3"
)

func TestMappingStyles(t *testing.T) {
	flowList := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle, Content: []*yaml.Node{Value(uint32(1))}}
	for _, c := range []struct {
		name string
		n    *yaml.Node
		want string
	}{
		{"scalars", Mapping("a", 1, "b", true, "c", int64(2)), "{a: 1, b: true, c: 2}\n"},
		{"node", Mapping("a", flowList), "a: [1]\n"},
		{"flow node", FlowMapping("a", flowList, "b", Scalar("x")), "{a: [1], b: x}\n"},
		{"block node", FlowMapping("a", Mapping("b", flowList)), "a:\n    b: [1]\n"},
	} {
		out, err := yaml.Marshal(c.n)
		if err != nil || string(out) != c.want {
			t.Errorf("%s: got %q, %v; want %q", c.name, out, err, c.want)
		}
	}
}
