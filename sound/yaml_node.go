package sound

import "gopkg.in/yaml.v3"

// ParseYAMLNode reads one card from a YAML node already decoded, in the
// form of a --file card, for a card embedded in a larger file (a batch
// file's vsnd-attach step): messages name the file and the lines of the
// whole file. The card is checked with Validate.
func ParseYAMLNode(n *yaml.Node, name string) (*Card, error) {
	y := &yamlCard{name: name, card: &Card{sources: map[string]string{}}}
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	y.cardNode(n)
	if len(y.errs) > 0 {
		return nil, y.errs
	}
	if err := y.card.Validate(); err != nil {
		return nil, err
	}
	return y.card, nil
}
