package handlers

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"

	"prequal/api"
	"prequal/views"
)

// /developers/docs is api/openapi.json as a page: read once at start-up into
// the view model below, rendered on the server with no script and nothing from
// another site.

// The parts of an OpenAPI 3.1 document the reference shows.
type (
	oaDocument struct {
		Info struct {
			Title, Version, Description string
		}
		Tags  []struct{ Name, Description string }
		Paths map[string]map[string]oaOperation
		// Components holds what "$ref"s point at, kept raw for resolving.
		Components map[string]map[string]json.RawMessage
	}
	oaOperation struct {
		Tags        []string
		OperationID string `json:"operationId"`
		Summary     string
		Description string
		Security    *[]map[string][]string
		Parameters  []json.RawMessage
		RequestBody json.RawMessage `json:"requestBody"`
		Responses   map[string]json.RawMessage
	}
	oaParameter struct {
		Ref         string `json:"$ref"`
		Name, In    string
		Description string
		Required    bool
		Schema      *oaSchema
	}
	oaBody struct {
		Ref         string `json:"$ref"`
		Description string
		Content     map[string]struct{ Schema *oaSchema }
	}
	oaSchema struct {
		Ref                  string `json:"$ref"`
		Type                 any
		Format               string
		Enum                 []any
		Const                any
		Description          string
		Required             []string
		Properties           map[string]*oaSchema
		Items                *oaSchema
		AdditionalProperties any `json:"additionalProperties"`
	}
)

// apiReference builds the reference from the OpenAPI document.
func apiReference(doc []byte) (views.APIReference, error) {
	var d oaDocument
	if err := json.Unmarshal(doc, &d); err != nil {
		return views.APIReference{}, fmt.Errorf("api reference: %w", err)
	}
	ref := views.APIReference{Title: d.Info.Title, Version: d.Info.Version, Description: d.Info.Description}
	for _, p := range api.ProblemTypes {
		ref.Problems = append(ref.Problems, views.APIProblemType(p))
	}
	byTag := map[string][]views.APIOperation{}
	paths := make([]string, 0, len(d.Paths))
	for p := range d.Paths {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, path := range paths {
		for _, method := range []string{"get", "post", "put", "patch", "delete"} {
			op, ok := d.Paths[path][method]
			if !ok {
				continue
			}
			o, err := d.operation(strings.ToUpper(method), path, op)
			if err != nil {
				return ref, err
			}
			tag := "Other"
			if len(op.Tags) > 0 {
				tag = op.Tags[0]
			}
			byTag[tag] = append(byTag[tag], o)
		}
	}
	for _, t := range d.Tags {
		if ops := byTag[t.Name]; len(ops) > 0 {
			ref.Tags = append(ref.Tags, views.APITag{Name: t.Name, Description: t.Description, Operations: ops})
		}
	}
	return ref, nil
}

func (d oaDocument) operation(method, path string, op oaOperation) (views.APIOperation, error) {
	o := views.APIOperation{ID: op.OperationID, Method: method, Path: path, Summary: op.Summary, Description: op.Description}
	if o.ID == "" {
		o.ID = strings.ToLower(method) + strings.NewReplacer("/", "-", "{", "", "}", "").Replace(path)
	}
	if op.Security != nil && len(*op.Security) == 0 {
		o.Public = true
	}
	if op.Security != nil {
		for _, req := range *op.Security {
			for _, scopes := range req {
				for _, s := range scopes {
					if !slices.Contains(o.Scopes, s) {
						o.Scopes = append(o.Scopes, s)
					}
				}
			}
		}
	}
	for _, raw := range op.Parameters {
		var p oaParameter
		if err := d.resolve(raw, "parameters", &p); err != nil {
			return o, err
		}
		o.Parameters = append(o.Parameters, views.APIParameter{Name: p.Name, In: p.In, Required: p.Required,
			Description: p.Description, Type: d.typeName(p.Schema)})
	}
	if len(op.RequestBody) > 0 {
		var b oaBody
		if err := d.resolve(op.RequestBody, "requestBodies", &b); err != nil {
			return o, err
		}
		o.Request = d.body(b)
	}
	codes := make([]string, 0, len(op.Responses))
	for code := range op.Responses {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	for _, code := range codes {
		var b oaBody
		if err := d.resolve(op.Responses[code], "responses", &b); err != nil {
			return o, err
		}
		o.Responses = append(o.Responses, views.APIResponse{Status: code, Description: b.Description, Body: d.body(b)})
	}
	return o, nil
}

// resolve decodes raw into v, following a "$ref" into components/kind.
func (d oaDocument) resolve(raw json.RawMessage, kind string, v any) error {
	var r struct {
		Ref string `json:"$ref"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return err
	}
	if r.Ref != "" {
		name := strings.TrimPrefix(r.Ref, "#/components/"+kind+"/")
		target, ok := d.Components[kind][name]
		if !ok {
			return fmt.Errorf("api reference: unresolved %s", r.Ref)
		}
		raw = target
	}
	return json.Unmarshal(raw, v)
}

func (d oaDocument) body(b oaBody) *views.APIBody {
	types := make([]string, 0, len(b.Content))
	for t := range b.Content {
		types = append(types, t)
	}
	if len(types) == 0 {
		return nil
	}
	sort.Strings(types)
	out := &views.APIBody{ContentType: types[0]}
	d.fields(&out.Fields, b.Content[types[0]].Schema, "", 0, 0)
	return out
}

// schema follows s's "$ref" into the components' schemas.
func (d oaDocument) schema(s *oaSchema) *oaSchema {
	for i := 0; s != nil && s.Ref != "" && i < 8; i++ {
		var t oaSchema
		if d.resolve(json.RawMessage(fmt.Sprintf(`{"$ref":%q}`, s.Ref)), "schemas", &t) != nil {
			return s
		}
		s = &t
	}
	return s
}

// fields flattens an object schema's properties, depth first.
func (d oaDocument) fields(out *[]views.APIField, s *oaSchema, prefix string, depth, guard int) {
	s = d.schema(s)
	if s == nil || guard > 6 {
		return
	}
	if s.Items != nil && len(s.Properties) == 0 {
		d.fields(out, s.Items, prefix+"[]", depth, guard+1)
		return
	}
	names := make([]string, 0, len(s.Properties))
	for n := range s.Properties {
		names = append(names, n)
	}
	sort.SliceStable(names, func(i, j int) bool {
		ri, rj := slices.Contains(s.Required, names[i]), slices.Contains(s.Required, names[j])
		if ri != rj {
			return ri
		}
		return names[i] < names[j]
	})
	for _, n := range names {
		p := d.schema(s.Properties[n])
		*out = append(*out, views.APIField{Name: prefix + n, Type: d.typeName(p), Required: slices.Contains(s.Required, n),
			Description: p.Description, Depth: depth})
		if len(p.Properties) > 0 || (p.Items != nil && len(d.schema(p.Items).Properties) > 0) {
			d.fields(out, p, prefix+n+".", depth+1, guard+1)
		}
	}
}

// typeName says a schema's type in a few words: "string", "integer | null",
// "array of string", "one of low, medium, high".
func (d oaDocument) typeName(s *oaSchema) string {
	s = d.schema(s)
	if s == nil {
		return ""
	}
	if len(s.Enum) > 0 {
		parts := make([]string, len(s.Enum))
		for i, e := range s.Enum {
			parts[i] = fmt.Sprint(e)
		}
		return "one of " + strings.Join(parts, ", ")
	}
	if s.Const != nil {
		return fmt.Sprintf("always %v", s.Const)
	}
	var t string
	switch v := s.Type.(type) {
	case string:
		t = v
	case []any:
		parts := make([]string, len(v))
		for i, p := range v {
			parts[i] = fmt.Sprint(p)
		}
		t = strings.Join(parts, " | ")
	}
	if t == "array" && s.Items != nil {
		t = "array of " + d.typeName(s.Items)
	}
	if s.Format != "" {
		t += " (" + s.Format + ")"
	}
	return t
}

// developersDocs is the API reference page; a signed-in partner sees the
// dashboard's navigation.
func (s *Server) developersDocs(c echo.Context) error {
	v := s.apiReference
	if p, err := s.store.PartnerSession(c.Request().Context(), partnerToken(c)); err == nil {
		c.Set(ctxPartner, p)
	}
	v.DeveloperPage = s.developerPage(c, "API reference")
	v.DeveloperPage.Description = views.APIReferenceDescription
	return render(c, http.StatusOK, views.DevelopersDocs(v))
}
