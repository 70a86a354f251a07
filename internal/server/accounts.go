package server

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/dothi-city/dothi/internal/audit"
	"github.com/dothi-city/dothi/internal/auth"
)

// DemoPassword is the password of every demo account. It is public (the
// README prints it), so a server started without --demo refuses to run
// while any account still has it.
const DemoPassword = "dothi-demo-2026"

// defaultPasswords are the passwords a production start refuses.
var defaultPasswords = []string{DemoPassword}

// DemoLogin describes a demo account for the start-up message.
type DemoLogin struct {
	Username string
	Role     auth.Role
	Agency   string
}

// demoAgencies is the agency tree of the demo city of Vũng Tàu.
var demoAgencies = []auth.Agency{
	{ID: "ubnd-tinh", Name: "UBND tỉnh Bà Rịa – Vũng Tàu", Kind: auth.KindProvince},
	{ID: "so-tnmt", ParentID: "ubnd-tinh", Name: "Sở Tài nguyên và Môi trường", Kind: auth.KindDepartment},
	{ID: "so-gtvt", ParentID: "ubnd-tinh", Name: "Sở Giao thông vận tải", Kind: auth.KindDepartment},
	{ID: "ioc", ParentID: "ubnd-tinh", Name: "Trung tâm Giám sát, điều hành đô thị thông minh (IOC)", Kind: auth.KindUnit},
	{ID: "ubnd-tp-vungtau", ParentID: "ubnd-tinh", Name: "UBND thành phố Vũng Tàu", Kind: auth.KindDistrict},
	{ID: "phuong-1", ParentID: "ubnd-tp-vungtau", Name: "UBND Phường 1", Kind: auth.KindWard},
	{ID: "phuong-2", ParentID: "ubnd-tp-vungtau", Name: "UBND Phường 2", Kind: auth.KindWard},
	{ID: "phuong-thang-tam", ParentID: "ubnd-tp-vungtau", Name: "UBND Phường Thắng Tam", Kind: auth.KindWard},
}

// demoUsers are the demo accounts: an administrator and one per role.
var demoUsers = []auth.NewUser{
	{Username: "admin", Name: "Quản trị hệ thống", Role: auth.RoleAdmin},
	{Username: "operator", Name: "Nguyễn Văn Vận (IOC)", Role: auth.RoleOperator, Agency: "ioc"},
	{Username: "leader", Name: "Trần Thị Lãnh (UBND tỉnh)", Role: auth.RoleLeader, Agency: "ubnd-tinh"},
	{Username: "staff.gtvt", Name: "Lê Văn Giao (Sở GTVT)", Role: auth.RoleStaff, Agency: "so-gtvt"},
	{Username: "staff.tnmt", Name: "Phạm Thị Môi (Sở TN&MT)", Role: auth.RoleStaff, Agency: "so-tnmt"},
	{Username: "integrator", Name: "Hệ thống tích hợp", Role: auth.RoleIntegrator},
	{Username: "citizen", Name: "Người dân", Role: auth.RoleCitizen},
}

// seedDemoAccounts creates the demo agencies and accounts that are
// missing; all demo accounts have DemoPassword and no second factor.
func seedDemoAccounts(ctx context.Context, svc *auth.Service, log *audit.Log) ([]DemoLogin, error) {
	record := func(action, resource string, details map[string]string) error {
		_, err := log.Append(ctx, audit.Record{Actor: "system:demo", Action: action, Resource: resource,
			SourceIP: "local", Outcome: audit.OutcomeSuccess, Details: details})
		return err
	}
	for _, a := range demoAgencies {
		if _, ok := svc.Tree().Get(a.ID); ok {
			continue
		}
		if err := svc.CreateAgency(ctx, a); err != nil {
			return nil, fmt.Errorf("demo agency %s: %w", a.ID, err)
		}
		if err := record("agency.create", "agency:"+a.ID, map[string]string{"parent": a.ParentID, "kind": string(a.Kind)}); err != nil {
			return nil, err
		}
	}
	users, err := svc.Users(ctx)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, u := range users {
		have[u.Username] = true
	}
	var logins []DemoLogin
	for _, nu := range demoUsers {
		logins = append(logins, DemoLogin{Username: nu.Username, Role: nu.Role, Agency: nu.Agency})
		if have[nu.Username] {
			continue
		}
		nu.Password = DemoPassword
		u, uri, err := svc.CreateUser(ctx, nu)
		if err != nil {
			return nil, fmt.Errorf("demo account %s: %w", nu.Username, err)
		}
		if uri != "" {
			return nil, fmt.Errorf("demo account %s was enrolled in TOTP: leave auth.totpRoles unset with --demo", nu.Username)
		}
		if err := record("user.create", "user:"+u.ID, map[string]string{"username": u.Username, "role": string(u.Role), "agency": u.Agency}); err != nil {
			return nil, err
		}
	}
	return logins, nil
}

// refuseDefaultPasswords fails when an enabled account still has a
// default (demo) password: a production start must not run with one.
func refuseDefaultPasswords(ctx context.Context, svc *auth.Service, data string) error {
	users, err := svc.Users(ctx)
	if err != nil {
		return err
	}
	var (
		mu  sync.Mutex
		bad []string
		wg  sync.WaitGroup
		sem = make(chan struct{}, max(2, runtime.NumCPU()))
	)
	for _, u := range users {
		if u.Disabled {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			for _, pw := range defaultPasswords {
				if ok, _ := auth.VerifyPassword(pw, u.PasswordHash); ok {
					mu.Lock()
					bad = append(bad, u.Username)
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	if len(bad) == 0 {
		return nil
	}
	slices.Sort(bad)
	return errors.New("refusing to start: these accounts still have the demo password: " + strings.Join(bad, ", ") +
		"; change each with `dothi admin set-password --data " + data + " --username NAME` (or start with --demo, or use a fresh data directory)")
}
