// Package yamlnode builds the yaml.v3 nodes of the files xgo writes
// (xgo export's batch and layout files): mappings from key, value pairs
// in flow style while they hold only scalars, and typed scalars. It
// imports nothing of the module.
package yamlnode
