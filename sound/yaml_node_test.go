package sound

import (
	"errors"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestParseYAMLNodeLinesOfTheWholeFile(t *testing.T) {
	src := "steps:\n  - card:\n      short-name: Main\n      pcms:\n        - name: A\n          streams:\n            - {unique-id: x, type: p}\n"
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	cardNode := doc.Content[0].Content[1].Content[0].Content[1]
	c, err := ParseYAMLNode(cardNode, "b.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.ShortName != "Main" || len(c.PCMs) != 1 || c.PCMs[0].Streams[0].Type != Playback {
		t.Errorf("card %+v", c)
	}
	bad := strings.Replace(src, "type: p", "type: p, bogus: 1", 1)
	if err := yaml.Unmarshal([]byte(bad), &doc); err != nil {
		t.Fatal(err)
	}
	_, err = ParseYAMLNode(doc.Content[0].Content[1].Content[0].Content[1], "b.yaml")
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "b.yaml:7") || !strings.Contains(err.Error(), "bogus") {
		t.Errorf("err = %v, want b.yaml:7 and bogus", err)
	}
}
