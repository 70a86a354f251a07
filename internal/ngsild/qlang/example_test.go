package qlang_test

import (
	"encoding/json"
	"fmt"

	"github.com/dothi-city/dothi/internal/ngsild"
	"github.com/dothi-city/dothi/internal/ngsild/qlang"
)

func ExampleParse() {
	expand := func(term string) string { return "https://example.org/" + term }
	q, err := qlang.Parse(`temperature>20;(status=="open"|rooms==1..3)`, expand)
	if err != nil {
		fmt.Println(err)
		return
	}
	e := &ngsild.Entity{Attrs: map[string][]*ngsild.Attribute{
		"https://example.org/temperature": {{Type: ngsild.TypeProperty, Value: json.Number("21.5")}},
		"https://example.org/rooms":       {{Type: ngsild.TypeProperty, Value: json.Number("2")}},
	}}
	fmt.Println(q.Match(e))

	_, err = qlang.Parse("temperature>", nil)
	fmt.Println(err)
	// Output:
	// true
	// BadRequestData: q: unexpected end of input at position 13, expected a value
}

func ExampleTypeNames() {
	t, _ := qlang.ParseTypes("Building,Vehicle", nil)
	names, ok := qlang.TypeNames(t)
	fmt.Println(names, ok)
	t, _ = qlang.ParseTypes("Building;Vehicle", nil)
	_, ok = qlang.TypeNames(t)
	fmt.Println(ok)
	// Output:
	// [Building Vehicle] true
	// false
}
