package api

import (
	"bytes"
	"encoding/json"
	"maps"
	"testing"
)

// membersByDecoding is what objectMembers replaced: encoding/json decoding into
// a map, where a repeated name's last value wins.
func membersByDecoding(t *testing.T, body []byte) map[string]string {
	t.Helper()
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatalf("json.Unmarshal(%q): %v", body, err)
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		out[k] = string(v)
	}
	return out
}

func membersByScanning(body []byte) map[string]string {
	out := map[string]string{}
	for name, value := range objectMembers(body) {
		out[string(name)] = string(value)
	}
	return out
}

var objectMemberSeeds = []string{
	`{}`,
	` { } `,
	seedRequest,
	`{"age":30,"age":31}`,
	`{"a\u0067e":30,"name":"A \"quoted\" \\ name"}`,
	"{\"\xff\":1,\"caf\u00e9\":2}",
	`{"x":{"y":[1,{"z":"}]"}],"w":"{"},"v":[[],[{}]],"u":"\\"}`,
	`{ "t" : true , "f":false,"n":null, "e":-1.5e-3 , "s":"" }`,
	"{\n\t\"age\"\r\n:\t30\n}",
}

func TestObjectMembersMatchesEncodingJSON(t *testing.T) {
	for _, body := range objectMemberSeeds {
		want := membersByDecoding(t, []byte(body))
		if got := membersByScanning([]byte(body)); !maps.Equal(got, want) {
			t.Errorf("objectMembers(%s) = %q, want %q", body, got, want)
		}
	}
}

// FuzzObjectMembers holds objectMembers to encoding/json on every valid object.
func FuzzObjectMembers(f *testing.F) {
	for _, s := range objectMemberSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		body = bytes.TrimSpace(body)
		if !json.Valid(body) || len(body) == 0 || body[0] != '{' {
			return
		}
		want := membersByDecoding(t, body)
		if got := membersByScanning(body); !maps.Equal(got, want) {
			t.Errorf("objectMembers(%q) = %q, want %q", body, got, want)
		}
	})
}

func TestDecodeApplicantNamesAsJSONParseReadsThem(t *testing.T) {
	// An escaped name is the name it spells; a repeated one keeps its last value.
	a, p := decodeApplicant([]byte(`{"a\u0067e":17,"income":65000,"existingDebt":0,"requestedAmount":1000,"age":40}`))
	if p != nil {
		t.Fatalf("problem %+v", p)
	}
	if a.Age != 40 {
		t.Errorf("age = %d, want 40 (the last of the repeated name)", a.Age)
	}
	// Names are case-sensitive, unlike encoding/json's struct decoding, and an
	// unknown name given twice is named once.
	_, p = decodeApplicant([]byte(`{"Age":30,"age":30,"zz":1,"income":65000,"existingDebt":0,"requestedAmount":1000,"zz":2}`))
	if p == nil || len(p.FormErrors) != 1 || p.FormErrors[0] != "Unrecognized key(s) in object: 'Age', 'zz'" {
		t.Errorf("problem = %+v, want Age and zz unrecognized", p)
	}
}
