package spec

import (
	"bytes"
	"encoding/json"
	"fmt"

	yaml "github.com/oasdiff/yaml3"
)

// JSON returns the contract in YAML (what Generate gives) as JSON, for
// api/openapi.json: the same document, with its keys in the same order,
// on one line. Loading JSON skips the YAML parser and the conversion
// kin-openapi makes of YAML into JSON, most of the cost of loading the
// contract.
//
// Scalars are read as kin-openapi reads the YAML (YAML 1.2 core schema,
// what looks like a timestamp left a string); anchors are expanded. What
// has no JSON equivalent (merge keys, non-scalar keys, explicit
// timestamps and binary values, NaN) is refused.
func JSON(yamlDoc []byte) ([]byte, error) {
	dec := yaml.NewDecoder(bytes.NewReader(yamlDoc))
	dec.DisableTimestamps(true)
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		return nil, fmt.Errorf("parse the YAML: %w", err)
	}
	var out bytes.Buffer
	if err := writeJSON(&out, &root); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

func writeJSON(out *bytes.Buffer, n *yaml.Node) error {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return fmt.Errorf("line %d: a document of %d nodes", n.Line, len(n.Content))
		}
		return writeJSON(out, n.Content[0])
	case yaml.AliasNode:
		return writeJSON(out, n.Alias)
	case yaml.MappingNode:
		out.WriteByte('{')
		seen := make(map[string]bool, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind == yaml.AliasNode {
				k = k.Alias
			}
			if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!merge" {
				return fmt.Errorf("line %d: only scalar keys have a JSON equivalent", k.Line)
			}
			if seen[k.Value] {
				return fmt.Errorf("line %d: key %q repeated", k.Line, k.Value)
			}
			seen[k.Value] = true
			if i > 0 {
				out.WriteByte(',')
			}
			if err := writeString(out, k.Value); err != nil {
				return err
			}
			out.WriteByte(':')
			if err := writeJSON(out, v); err != nil {
				return err
			}
		}
		out.WriteByte('}')
		return nil
	case yaml.SequenceNode:
		out.WriteByte('[')
		for i, v := range n.Content {
			if i > 0 {
				out.WriteByte(',')
			}
			if err := writeJSON(out, v); err != nil {
				return err
			}
		}
		out.WriteByte(']')
		return nil
	case yaml.ScalarNode:
		switch tag := n.ShortTag(); tag {
		case "!!str":
			return writeString(out, n.Value)
		case "!!null":
			out.WriteString("null")
			return nil
		case "!!bool", "!!int", "!!float":
			var v any
			if err := n.Decode(&v); err != nil {
				return fmt.Errorf("line %d: %w", n.Line, err)
			}
			b, err := json.Marshal(v)
			if err != nil {
				return fmt.Errorf("line %d: %s %q: %w", n.Line, tag, n.Value, err)
			}
			out.Write(b)
			return nil
		default:
			return fmt.Errorf("line %d: %s %q has no JSON equivalent", n.Line, tag, n.Value)
		}
	}
	return fmt.Errorf("line %d: unexpected YAML node kind %d", n.Line, n.Kind)
}

// writeString writes s as a JSON string, with <, > and & as they are.
func writeString(out *bytes.Buffer, s string) error {
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return err
	}
	out.Truncate(out.Len() - 1) // Encode ends with a newline
	return nil
}
