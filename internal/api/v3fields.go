package api

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// v3fields.json lists the properties of every model of the Data Plane API
// v3 contract (from /work/shared/compat/models.json: model -> property ->
// the model it refers to, "" for a plain value). It lets a 422 for an
// unknown property say whether the property is a v3 field this dataplane
// does not support, or a name the v3 contract does not have either (a
// typo): both are refused, never dropped.
//
//go:embed v3fields.json
var v3FieldsJSON []byte

var v3Fields = sync.OnceValue(func() map[string]map[string]string {
	var m map[string]map[string]string
	if err := json.Unmarshal(v3FieldsJSON, &m); err != nil {
		panic(fmt.Sprintf("v3fields.json: %v", err))
	}
	return m
})

var unsupportedProperty = regexp.MustCompile(`^property "(.+)" is unsupported$`)

// unknownPropertyNotes explains each unknown property of a request body
// refused by the contract: where it is, and whether the v3 contract has
// it. Empty when err names none.
func unknownPropertyNotes(err error) []string {
	var re *openapi3filter.RequestError
	if !errors.As(err, &re) || re.RequestBody == nil {
		return nil
	}
	root := ""
	if mt := re.RequestBody.Content.Get("application/json"); mt != nil && mt.Schema != nil {
		root = strings.TrimPrefix(mt.Schema.Ref, "#/components/schemas/")
	}
	var notes []string
	var walk func(e error)
	walk = func(e error) {
		var multi openapi3.MultiError
		if errors.As(e, &multi) {
			for _, x := range multi {
				walk(x)
			}
			return
		}
		var se *openapi3.SchemaError
		if !errors.As(e, &se) {
			return
		}
		if m := unsupportedProperty.FindStringSubmatch(se.Reason); m != nil {
			notes = append(notes, describeUnknown(root, se.JSONPointer(), m[1]))
		}
		if se.Origin != nil {
			walk(se.Origin)
		}
	}
	walk(re.Err)
	return notes
}

// describeUnknown says what prop, found in the object at path of a body
// whose schema is root, is: a v3 field not supported here, or unknown to
// the v3 contract too.
func describeUnknown(root string, path []string, prop string) string {
	where := strings.Join(append(append([]string{}, path...), prop), ".")
	v3 := v3Fields()
	model := root
	for _, seg := range path {
		if _, err := strconv.Atoi(seg); err == nil {
			continue // an array index: the items have the model of the array
		}
		fields, ok := v3[model]
		if !ok {
			model = ""
			break
		}
		model = fields[seg]
	}
	fields, ok := v3[model]
	switch {
	case !ok:
		return fmt.Sprintf("%q is not a property of this object", where)
	case hasField(fields, prop):
		return fmt.Sprintf("%q is a field of the Data Plane API v3 %s model that this dataplane does not support: it was not applied", where, model)
	default:
		return fmt.Sprintf("%q is not a field of the v3 %s model either: check its spelling", where, model)
	}
}

func hasField(fields map[string]string, name string) bool {
	_, ok := fields[name]
	return ok
}
