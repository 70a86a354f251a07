// Command dothi runs the Dothi smart-city platform.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/dothi-city/dothi/internal/audit"
	"github.com/dothi-city/dothi/internal/auth"
	"github.com/dothi-city/dothi/internal/server"
	"github.com/dothi-city/dothi/internal/version"
)

const usage = `dothi — the Dothi smart-city platform

Usage:
  dothi serve [flags]    run the platform (dothi serve -h for flags)
  dothi bench [flags]    measure a fresh server over HTTP (dothi bench -h)
  dothi admin create-agency|create-user|create-key|revoke-key|create-client|revoke-client|set-password [flags]
                         accounts in the data directory (dothi admin for flags)
  dothi audit verify --data DIR [--anchor FILE]
                         check the audit chain; exits 1 if broken
  dothi backup --data DIR --out FILE
                         consistent copy of a (running) platform, checksum in FILE.sha256
  dothi restore --data DIR --in FILE [--force]
                         check a backup and restore it into a stopped data directory
  dothi version          print the version
  dothi help             show this help
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stdout, stderr)
	case "version":
		return printVersion(stdout)
	case "bench":
		return benchCmd(args[1:], stdout, stderr)
	case "admin":
		return auth.AdminCommand(args[1:], os.Stdin, stdout, stderr)
	case "audit":
		if len(args) > 1 && args[1] == "verify" {
			return audit.VerifyCommand(args[2:], stdout, stderr)
		}
		fmt.Fprint(stderr, usage)
		return 2
	case "backup":
		return backupCmd(args[1:], stdout, stderr)
	case "restore":
		return restoreCmd(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "dothi: unknown command %q\n\n%s", args[0], usage)
	return 2
}

func printVersion(w io.Writer) int {
	out, _ := json.Marshal(version.Get())
	fmt.Fprintln(w, string(out))
	return 0
}

func serve(args []string, stdout, stderr io.Writer) int {
	cfg, err := serveConfig(args, stderr)
	if err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		fmt.Fprintln(stderr, "dothi serve:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := server.NewLogger(cfg.Log, stderr)
	srv, err := server.New(cfg, log)
	if err != nil {
		log.Error("cannot start", "err", err)
		return 1
	}
	printDemoLogins(stdout, cfg, srv.DemoLogins())
	if err := srv.Run(ctx); err != nil {
		log.Error("server stopped", "err", err)
		return 1
	}
	return 0
}

// serveConfig builds the configuration: defaults, then the config file,
// then environment variables, then flags.
func serveConfig(args []string, stderr io.Writer) (server.Config, error) {
	cfg := server.DefaultConfig()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", os.Getenv("DOTHI_CONFIG"), "YAML configuration file (DOTHI_CONFIG)")
	addr := fs.String("addr", "", "HTTP listen address (DOTHI_ADDR, default :8080)")
	data := fs.String("data", "", "data directory (DOTHI_DATA, default ./data)")
	store := fs.String("store", "", "store URL; empty for the embedded store (DOTHI_STORE)")
	logLevel := fs.String("log-level", "", "debug, info, warn or error")
	demo := fs.Bool("demo", os.Getenv("DOTHI_DEMO") == "true", "run the living demo city of Vũng Tàu (DOTHI_DEMO=true)")
	insecureCookies := fs.Bool("insecure-cookies", os.Getenv("DOTHI_INSECURE_COOKIES") == "true",
		"session cookies without Secure, for plain-HTTP development only (DOTHI_INSECURE_COOKIES=true; on with --demo)")
	demoAccountsOnly := fs.Bool("demo-accounts-only", false, "with --demo: the demo accounts without the demo city (browser tests)")
	demoDevices := fs.Int("demo-devices", -1, "simulated devices of the demo city (0: the named catalogue; 10 to 100000)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *configPath != "" {
		if err := server.LoadFile(&cfg, *configPath); err != nil {
			return cfg, err
		}
	}
	override(&cfg.Addr, os.Getenv("DOTHI_ADDR"), *addr)
	override(&cfg.Data, os.Getenv("DOTHI_DATA"), *data)
	override(&cfg.Store, os.Getenv("DOTHI_STORE"), *store)
	override(&cfg.Log.Level, os.Getenv("DOTHI_LOG_LEVEL"), *logLevel)
	if *demo {
		cfg.Demo.Enabled = true
		// The demo runs over plain HTTP on localhost, where browsers would
		// not send a Secure cookie back to 127.0.0.1.
		if !cfg.TLS.Enabled() {
			cfg.Auth.InsecureCookies = true
		}
	}
	if *demoAccountsOnly {
		cfg.Demo.AccountsOnly = true
	}
	if *insecureCookies {
		cfg.Auth.InsecureCookies = true
	}
	if *demoDevices >= 0 {
		cfg.Demo.Devices = *demoDevices
	}
	return cfg, cfg.Validate()
}

// printDemoLogins tells how to log in to the demo.
func printDemoLogins(w io.Writer, cfg server.Config, logins []server.DemoLogin) {
	if len(logins) == 0 {
		return
	}
	scheme, host := "http", cfg.Addr
	if cfg.TLS.Enabled() {
		scheme = "https"
	}
	if strings.HasPrefix(host, ":") {
		host = "localhost" + host
	}
	fmt.Fprintf(w, "\nDemo accounts — log in at %s://%s/ with password %q:\n", scheme, host, server.DemoPassword)
	for _, l := range logins {
		agency := l.Agency
		if agency == "" {
			agency = "-"
		}
		fmt.Fprintf(w, "  %-12s %-11s agency %s\n", l.Username, l.Role, agency)
	}
	fmt.Fprintln(w, "Scripts: KEY=$(dothi admin create-key --data DIR --role integrator | tail -1); curl -H \"Authorization: Bearer $KEY\" …")
	fmt.Fprintln(w)
}

// override sets *dst to the last non-empty value.
func override(dst *string, values ...string) {
	for _, v := range values {
		if v != "" {
			*dst = v
		}
	}
}
