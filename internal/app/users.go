package app

import (
	"log/slog"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"dataplane/internal/auth"
	"dataplane/internal/config"
	"dataplane/internal/settings"
	"dataplane/internal/transaction"
)

// users keeps the API users in step with their source. Users from the HCL
// file are fixed; users from an HAProxy userlist follow it: a user removed
// from the userlist (through the API or by hand) loses access at the next
// request, not at the next restart.
type users struct {
	st   *settings.Settings
	live *transaction.Live
	log  *slog.Logger

	cur atomic.Pointer[auth.Authenticator]

	mu      sync.Mutex
	section *config.Section // userlist section the current users come from
	fileMod time.Time       // userlist_file modification time
	fileLen int64
}

func newUsers(st *settings.Settings, live *transaction.Live, log *slog.Logger) (*users, error) {
	u := &users{st: st, live: live, log: log}
	doc, err := live.Doc()
	if err != nil {
		return nil, err
	}
	list, err := loadUsers(st, doc)
	if err != nil {
		return nil, err
	}
	a, err := auth.New(list, authOptions(st, log))
	if err != nil {
		return nil, err
	}
	u.cur.Store(a)
	u.section, u.fileMod, u.fileLen = u.source(doc)
	return u, nil
}

// source identifies where the users come from, to notice a change cheaply:
// sections are immutable and shared between documents, so the userlist
// section is the same object until it is edited.
func (u *users) source(doc *config.Document) (*config.Section, time.Time, int64) {
	if len(u.st.API.Users) > 0 {
		return nil, time.Time{}, 0
	}
	if f := u.st.API.Userlist.UserlistFile; f != "" {
		if fi, err := os.Stat(f); err == nil {
			return nil, fi.ModTime(), fi.Size()
		}
		return nil, time.Time{}, -1
	}
	s, _ := doc.Section(config.KindUserlist, u.st.API.Userlist.Userlist)
	return s, time.Time{}, 0
}

// refresh rebuilds the users when their source changed. A userlist that no
// longer yields valid users keeps the previous ones (an API that locks
// everyone out could not be used to fix it), with an error in the log.
func (u *users) refresh() {
	if len(u.st.API.Users) > 0 {
		return
	}
	doc, err := u.live.Doc()
	if err != nil {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	s, mod, n := u.source(doc)
	if s == u.section && mod.Equal(u.fileMod) && n == u.fileLen {
		return
	}
	u.section, u.fileMod, u.fileLen = s, mod, n
	list, err := loadUsers(u.st, doc)
	if err == nil {
		var a *auth.Authenticator
		if a, err = auth.New(list, authOptions(u.st, u.log)); err == nil {
			u.cur.Store(a)
			u.log.Info("API users reloaded from the userlist", "users", len(list))
			return
		}
	}
	u.log.Error("the userlist changed but gives no usable API user; keeping the previous users", "error", err)
}

// Middleware checks credentials against the current users.
func (u *users) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.refresh()
		u.cur.Load().Middleware(next).ServeHTTP(w, r)
	})
}

// authOptions are the authenticator's options: with tls_client_user_from
// "cn", a verified client certificate's common name names the user of a
// request that sends no basic credentials.
func authOptions(st *settings.Settings, log *slog.Logger) auth.Options {
	opts := auth.Options{Logger: log}
	if st.API.TLS.ClientUserFrom == settings.UserFromCN {
		opts.CertUser = auth.CertCommonName
	}
	return opts
}

// count is for the start-up log.
func (u *users) count() int { return len(u.cur.Load().Users()) }
