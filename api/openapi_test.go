package api

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/pb33f/libopenapi"
)

// The document is OpenAPI 3.1 and valid by a real validator
// (libopenapi-validator, pinned in go.mod): against the 3.1 schema, and every
// $ref resolves when libopenapi builds its model.
func TestOpenAPIDocumentValidates(t *testing.T) {
	doc, err := libopenapi.NewDocument(OpenAPIDocument())
	if err != nil {
		t.Fatal(err)
	}
	if v := doc.GetVersion(); v != "3.1.0" {
		t.Errorf("OpenAPI version %q, want 3.1.0", v)
	}
	if _, err := doc.BuildV3Model(); err != nil {
		t.Fatalf("building the model: %v", err)
	}
	v, err := documentValidator()
	if err != nil {
		t.Fatal(err)
	}
	if ok, errs := v.ValidateDocument(); !ok {
		for _, e := range errs {
			t.Errorf("invalid: %s: %s", e.Message, e.Reason)
			for _, se := range e.SchemaValidationErrors {
				t.Errorf("  %s at %s", se.Reason, se.KeywordLocation)
			}
		}
	}
}

// The validator is not a rubber stamp: a document with a broken schema fails.
func TestOpenAPIValidatorRefusesABrokenDocument(t *testing.T) {
	broken := strings.Replace(string(OpenAPIDocument()), `"openapi": "3.1.0"`, `"openapi": "3.1.0", "paths2": 5`, 1)
	broken = strings.Replace(broken, `"type": "integer", "minimum": 18`, `"type": "integer", "minimum": "eighteen"`, 1)
	doc, err := libopenapi.NewDocument([]byte(broken))
	if err != nil {
		return // refused outright: fine
	}
	v, errs := newValidator(doc)
	if len(errs) > 0 {
		return
	}
	if ok, _ := v.ValidateDocument(); ok {
		t.Error("a document with a string minimum and an unknown root field validates")
	}
}

var routeParam = regexp.MustCompile(`:([A-Za-z0-9_]+)`)

// Every /api route is in the document, and every documented operation is
// routed: the route table and the document can only change together.
func TestOpenAPIDocumentMatchesRoutes(t *testing.T) {
	e := echo.New()
	New(Config{}).Mount(e.Group("/api"))
	var routed []string
	for _, r := range e.Routes() {
		if r.Method == echo.RouteNotFound || !strings.HasPrefix(r.Path, "/api/") {
			continue
		}
		routed = append(routed, r.Method+" "+routeParam.ReplaceAllString(r.Path, "{$1}"))
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage
	}
	if err := json.Unmarshal(OpenAPIDocument(), &doc); err != nil {
		t.Fatal(err)
	}
	var documented []string
	for path, item := range doc.Paths {
		for method := range item {
			switch method {
			case "get", "put", "post", "delete", "options", "head", "patch", "trace":
				documented = append(documented, strings.ToUpper(method)+" "+path)
				if method == "get" { // HEAD is answered wherever GET is (HTTP's own rule; not documented apart)
					documented = append(documented, "HEAD "+path)
				}
			}
		}
	}
	for _, r := range routed {
		if !slices.Contains(documented, r) {
			t.Errorf("%s is routed but not in api/openapi.json", r)
		}
	}
	for _, d := range documented {
		if !slices.Contains(routed, d) {
			t.Errorf("%s is in api/openapi.json but not routed", d)
		}
	}
	if len(routed) < 4 {
		t.Errorf("only %d routes found: %v", len(routed), routed)
	}
}

func TestOpenAPIDocumentServed(t *testing.T) {
	p := newTestAPI(t)
	r := p.call(http.MethodGet, "/api/openapi.json", "", "")
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("status %d, content type %q", r.status, r.header.Get("Content-Type"))
	}
	if string(r.body) != string(OpenAPIDocument()) {
		t.Error("the served document differs from api/openapi.json")
	}
}
