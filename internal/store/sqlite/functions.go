package sqlite

import (
	"database/sql/driver"
	"fmt"
	"regexp"
	"sync"

	msqlite "modernc.org/sqlite"
)

var registerOnce sync.Once

// registerFunctions adds dothi_regexp(pattern, text) to the driver: 1 when
// the Go regular expression matches text, 0 otherwise (NULL text: NULL).
// Patterns are passed as parameters and compiled once per process.
func registerFunctions() {
	registerOnce.Do(func() {
		msqlite.MustRegisterDeterministicScalarFunction("dothi_regexp", 2, regexpFunc)
		registerTemporalFunctions()
	})
}

// patterns caches compiled patterns; it is reset when it grows past maxPatterns.
var patterns struct {
	sync.Mutex
	m map[string]*regexp.Regexp
}

const maxPatterns = 256

func regexpFunc(_ *msqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	pattern, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("dothi_regexp: pattern must be text")
	}
	var text string
	switch t := args[1].(type) {
	case nil:
		return nil, nil
	case string:
		text = t
	case []byte:
		text = string(t)
	default:
		return int64(0), nil
	}
	re, err := compile(pattern)
	if err != nil {
		return nil, err
	}
	if re.MatchString(text) {
		return int64(1), nil
	}
	return int64(0), nil
}

func compile(pattern string) (*regexp.Regexp, error) {
	patterns.Lock()
	defer patterns.Unlock()
	if re, ok := patterns.m[pattern]; ok {
		return re, nil
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, err
	}
	if patterns.m == nil || len(patterns.m) >= maxPatterns {
		patterns.m = map[string]*regexp.Regexp{}
	}
	patterns.m[pattern] = re
	return re, nil
}
