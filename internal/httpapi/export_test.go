package httpapi

// SetParseFromText turns parsing batch items from their text on or off
// and returns a function that restores the setting.
func SetParseFromText(on bool) (restore func()) {
	old := parseFromText
	parseFromText = on
	return func() { parseFromText = old }
}
