package app

import (
	"path/filepath"

	"dataplane/internal/certstore"
	"dataplane/internal/settings"
)

// stores are the directories of the storage API other than maps.
type stores struct {
	ssl, crtLists, general *certstore.Store
}

// openStores opens (creating them 0700) the certificate storage, its
// crt-lists subdirectory (so a crt-list is never listed as a certificate)
// and the general storage.
func openStores(st *settings.Settings) (stores, error) {
	var out stores
	var err error
	sslDir := st.ResourceDir(st.API.Resources.SSLCertsDir, "ssl")
	if out.ssl, err = certstore.Open(sslDir, 0); err != nil {
		return out, err
	}
	if out.crtLists, err = certstore.Open(filepath.Join(sslDir, "crt-lists"), 0); err != nil {
		return out, err
	}
	if out.general, err = certstore.Open(st.ResourceDir(st.API.Resources.GeneralStorageDir, "general"), 0); err != nil {
		return out, err
	}
	return out, nil
}
