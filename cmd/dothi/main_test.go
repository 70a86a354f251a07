package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestVersionAndUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"version"}, &out, &errb); code != 0 || !strings.Contains(out.String(), `"goVersion"`) {
		t.Errorf("version: %d %q", code, out.String())
	}
	if code := run([]string{"frobnicate"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "unknown command") {
		t.Errorf("unknown command: %d %q", code, errb.String())
	}
	if code := run(nil, &out, &errb); code != 2 {
		t.Errorf("no command: %d", code)
	}
}

func TestServeConfigPrecedence(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dothi.yaml")
	if err := os.WriteFile(path, []byte("addr: \":7000\"\ndata: /from/file\nlog:\n  level: debug\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOTHI_DATA", "/from/env")
	t.Setenv("DOTHI_ADDR", "")
	cfg, err := serveConfig([]string{"--config", path, "--addr", ":7001"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != ":7001" || cfg.Data != "/from/env" || cfg.Log.Level != "debug" {
		t.Errorf("flags > env > file broken: %+v", cfg)
	}
	if _, err := serveConfig([]string{"--store", "mysql://x"}, io.Discard); err == nil {
		t.Error("an unsupported store was accepted")
	}
	if _, err := serveConfig([]string{"extra"}, io.Discard); err == nil {
		t.Error("a stray argument was accepted")
	}
}
