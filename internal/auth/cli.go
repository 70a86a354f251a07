package auth

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"os"
	osuser "os/user"
	"path/filepath"
	"strings"
	"time"

	"github.com/dothi-city/dothi/internal/audit"
)

// FileName is the accounts database's file in the data directory.
const FileName = "auth.db"

const adminUsage = `Usage:
  dothi admin create-agency --data DIR --id ID --name NAME --kind KIND [--parent ID]
  dothi admin create-user   --data DIR --username U --role ROLE [--name N] [--agency A] [--tenants T1,T2] [--password-stdin]
  dothi admin create-key    --data DIR --role ROLE [--tenant T] [--name N] [--agency A] [--types T1,T2] [--read-only] [--expires 90d]
  dothi admin revoke-key    --data DIR --id ID
  dothi admin create-client --data DIR --role ROLE [--tenant T] [--name N] [--agency A] [--types T1,T2] [--read-only] [--expires 90d]
  dothi admin revoke-client --data DIR --id CLIENT_ID
  dothi admin set-password  --data DIR --username U [--password-stdin]
create-user and set-password read the password from the first line of standard input with
--password-stdin, else from $DOTHI_PASSWORD, else makes one up and prints
it. create-key prints the key on the last line; it is shown only once. create-client
registers an OAuth2 client (client credentials grant at POST /api/v1/auth/token) and
prints its client_id and, on the last line, its client_secret, shown only once.
`

// AdminCommand runs `dothi admin ...` against the data directory and
// returns the exit code (0 done, 1 refused or failed, 2 usage). Each change
// is recorded in the audit log with the operating-system user as actor.
func AdminCommand(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, adminUsage)
		return 2
	}
	cmds := map[string]func(*adminEnv, []string) error{
		"create-agency": (*adminEnv).createAgency, "create-user": (*adminEnv).createUser,
		"create-key": (*adminEnv).createKey, "revoke-key": (*adminEnv).revokeKey,
		"set-password":  (*adminEnv).setPassword,
		"create-client": (*adminEnv).createClient, "revoke-client": (*adminEnv).revokeClient,
	}
	run, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "dothi admin: unknown command %q\n\n%s", args[0], adminUsage)
		return 2
	}
	env := &adminEnv{stdin: stdin, stdout: stdout, stderr: stderr, fl: flag.NewFlagSet("dothi admin "+args[0], flag.ContinueOnError)}
	env.fl.SetOutput(stderr)
	env.data = env.fl.String("data", "./data", "data directory")
	err := run(env, args[1:])
	env.close()
	if err == errUsage {
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "dothi admin %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

var errUsage = fmt.Errorf("usage")

// adminEnv is one run of an admin command.
type adminEnv struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	fl             *flag.FlagSet
	data           *string
	db             *DB
	log            *audit.Log
	svc            *Service
}

// open parses the flags and opens the accounts database and audit log.
func (e *adminEnv) open(args []string) error {
	if err := e.fl.Parse(args); err != nil || e.fl.NArg() > 0 {
		return errUsage
	}
	if err := os.MkdirAll(*e.data, 0o750); err != nil {
		return err
	}
	var err error
	if e.db, err = OpenDB(filepath.Join(*e.data, FileName)); err != nil {
		return err
	}
	if e.log, err = audit.Open(filepath.Join(*e.data, audit.FileName)); err != nil {
		return err
	}
	e.svc, err = NewService(context.Background(), e.db, Options{})
	return err
}

func (e *adminEnv) close() {
	if e.db != nil {
		e.db.Close()
	}
	if e.log != nil {
		e.log.Close()
	}
}

// record audits a change made from the command line.
func (e *adminEnv) record(action, resource string, details map[string]string) error {
	actor := "cli"
	if u, err := osuser.Current(); err == nil {
		actor = "cli:" + u.Username
	}
	_, err := e.log.Append(context.Background(), audit.Record{Actor: actor, Action: action, Resource: resource,
		SourceIP: "local", Outcome: audit.OutcomeSuccess, Details: details})
	return err
}

func (e *adminEnv) createAgency(args []string) error {
	var a Agency
	e.fl.StringVar(&a.ID, "id", "", "agency id")
	e.fl.StringVar(&a.ParentID, "parent", "", "parent agency id")
	e.fl.StringVar(&a.Name, "name", "", "agency name")
	kind := e.fl.String("kind", "", "province, department, district, ward or unit")
	if err := e.open(args); err != nil {
		return err
	}
	a.Kind = AgencyKind(*kind)
	if err := e.svc.CreateAgency(context.Background(), a); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "created agency %s (%s)\n", a.ID, a.Kind)
	return e.record("agency.create", "agency:"+a.ID, map[string]string{"parent": a.ParentID, "kind": string(a.Kind)})
}

func (e *adminEnv) createUser(args []string) error {
	var nu NewUser
	e.fl.StringVar(&nu.Username, "username", "", "login name")
	e.fl.StringVar(&nu.Name, "name", "", "full name")
	e.fl.StringVar(&nu.Agency, "agency", "", "agency id")
	role := e.fl.String("role", "", "admin, operator, leader, staff, integrator or citizen")
	tenants := e.fl.String("tenants", "", "comma-separated tenants (* for all; default: the default tenant)")
	fromStdin := e.fl.Bool("password-stdin", false, "read the password from standard input")
	if err := e.open(args); err != nil {
		return err
	}
	nu.Role, nu.Tenants = Role(*role), splitList(*tenants)
	password, made, err := e.password(*fromStdin)
	if err != nil {
		return err
	}
	nu.Password = password
	u, uri, err := e.svc.CreateUser(context.Background(), nu)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "created user %s (%s), role %s\n", u.Username, u.ID, u.Role)
	if uri != "" {
		fmt.Fprintf(e.stdout, "TOTP (add to an authenticator app, shown once): %s\n", uri)
	}
	if made {
		fmt.Fprintf(e.stdout, "password (shown once): %s\n", password)
	}
	return e.record("user.create", "user:"+u.ID, map[string]string{"username": u.Username, "role": string(u.Role), "agency": u.Agency})
}

// password returns the new user's password and whether it was made up.
func (e *adminEnv) password(fromStdin bool) (string, bool, error) {
	if fromStdin {
		line, err := bufio.NewReader(e.stdin).ReadString('\n')
		if err != nil && line == "" {
			return "", false, fmt.Errorf("read password from standard input: %w", err)
		}
		return strings.TrimRight(line, "\r\n"), false, nil
	}
	if p := os.Getenv("DOTHI_PASSWORD"); p != "" {
		return p, false, nil
	}
	b := make([]byte, 15)
	if _, err := rand.Read(b); err != nil {
		return "", false, err
	}
	return base64.RawURLEncoding.EncodeToString(b), true, nil
}

func (e *adminEnv) createKey(args []string) error {
	g, err := e.grantFlags("key", args)
	if err != nil {
		return err
	}
	nk := NewKey{Name: g.name, Agency: g.agency, Scope: g.scope, Role: g.role, TTL: g.ttl, CreatedBy: "cli"}
	secret, k, err := e.svc.CreateKey(context.Background(), nk)
	if err != nil {
		return err
	}
	if err := e.record("key.create", "key:"+k.ID, map[string]string{"name": k.Name, "role": string(k.Role), "tenant": k.Scope.Tenant}); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "created key %s (%s), role %s, tenant %q; the key, shown once:\n%s\n", k.ID, k.Name, k.Role, k.Scope.Tenant, secret)
	return nil
}

func (e *adminEnv) revokeKey(args []string) error {
	id := e.fl.String("id", "", "key id")
	if err := e.open(args); err != nil {
		return err
	}
	if err := e.svc.RevokeKey(context.Background(), *id); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "revoked key %s\n", *id)
	return e.record("key.revoke", "key:"+*id, nil)
}

// setPassword changes a user's password (ending their sessions). An
// official without a second factor is enrolled in TOTP at the same time,
// since a production server asks officials for a code.
func (e *adminEnv) setPassword(args []string) error {
	username := e.fl.String("username", "", "login name")
	fromStdin := e.fl.Bool("password-stdin", false, "read the password from standard input")
	if err := e.open(args); err != nil {
		return err
	}
	ctx := context.Background()
	u, err := e.db.UserByName(ctx, strings.ToLower(strings.TrimSpace(*username)))
	if err != nil {
		return fmt.Errorf("user %q: %w", *username, err)
	}
	password, made, err := e.password(*fromStdin)
	if err != nil {
		return err
	}
	if err := e.svc.SetPassword(ctx, u.ID, password); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "changed the password of %s (%s)\n", u.Username, u.ID)
	if e.svc.opt.TOTPRoles[u.Role] && !u.TOTPEnabled {
		if u, err = e.db.UserByID(ctx, u.ID); err != nil {
			return err
		}
		if u.TOTPSecret, err = NewTOTPSecret(); err != nil {
			return err
		}
		u.TOTPEnabled = true
		if err := e.db.UpdateUser(ctx, u); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "TOTP (add to an authenticator app, shown once): %s\n", TOTPURI(e.svc.opt.Issuer, u.Username, u.TOTPSecret))
	}
	if made {
		fmt.Fprintf(e.stdout, "password (shown once): %s\n", password)
	}
	return e.record("user.password", "user:"+u.ID, map[string]string{"username": u.Username})
}

// splitList splits a comma-separated flag; "" is an empty list.
func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// parseLifetime reads "90d" or a Go duration; "" is no expiry.
func parseLifetime(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, err := fmt.Sscanf(days, "%d", &n); err != nil || n <= 0 {
			return 0, fmt.Errorf("--expires %q: want a number of days such as 90d", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("--expires %q: want 90d or a duration such as 720h", s)
	}
	return d, nil
}

func (e *adminEnv) createClient(args []string) error {
	g, err := e.grantFlags("client", args)
	if err != nil {
		return err
	}
	nc := NewClient{Name: g.name, Agency: g.agency, Scope: g.scope, Role: g.role, TTL: g.ttl, CreatedBy: "cli"}
	secret, c, err := e.svc.CreateClient(context.Background(), nc)
	if err != nil {
		return err
	}
	if err := e.record("client.create", "client:"+c.ID, map[string]string{"name": c.Name, "role": string(c.Role), "tenant": c.Scope.Tenant}); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "created OAuth2 client %s, role %s, tenant %q, scope %q\nclient_id: %s\nclient_secret, shown once:\n%s\n",
		c.Name, c.Role, c.Scope.Tenant, c.Scope.String(), c.ID, secret)
	return nil
}

func (e *adminEnv) revokeClient(args []string) error {
	id := e.fl.String("id", "", "client_id")
	if err := e.open(args); err != nil {
		return err
	}
	if err := e.svc.RevokeClient(context.Background(), *id); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "revoked client %s and its access tokens\n", *id)
	return e.record("client.revoke", "client:"+*id, nil)
}

// grant is what the flags of create-key and create-client give.
type grant struct {
	name, agency string
	scope        Scope
	role         Role
	ttl          time.Duration
}

// grantFlags parses the flags shared by create-key and create-client
// (what is "key" or "client") and opens the data directory.
func (e *adminEnv) grantFlags(what string, args []string) (grant, error) {
	var g grant
	e.fl.StringVar(&g.name, "name", "", "what the "+what+" is for (default: cli-ROLE)")
	e.fl.StringVar(&g.agency, "agency", "", "agency the "+what+" acts for")
	e.fl.StringVar(&g.scope.Tenant, "tenant", "", "tenant the "+what+" may use (* for all; default: the default tenant)")
	role := e.fl.String("role", "", "role of the "+what+" (integrator for API clients)")
	types := e.fl.String("types", "", "comma-separated entity types (default: all)")
	readOnly := e.fl.Bool("read-only", false, "read, never write")
	expires := e.fl.String("expires", "", "lifetime, such as 90d or 720h (default: never)")
	if err := e.open(args); err != nil {
		return g, err
	}
	ttl, err := parseLifetime(*expires)
	if err != nil {
		return g, err
	}
	g.role, g.ttl = Role(*role), ttl
	g.scope.Types, g.scope.Read, g.scope.Write = splitList(*types), true, !*readOnly
	if g.name == "" {
		g.name = "cli-" + *role
	}
	return g, nil
}
