// The login state of the interface: checked with GET /api/v1/auth/me at
// start, set by the login page, cleared by logout or by a 401 from the API.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { logout as apiLogout, me, onSessionExpired, type SessionInfo } from './api/session';

export type AuthState =
  | { status: 'checking' }
  | { status: 'anonymous'; expired: boolean }
  | { status: 'user'; session: SessionInfo };

interface AuthContextValue {
  state: AuthState;
  signedIn: (s: SessionInfo) => void;
  signOut: () => Promise<void>;
}

const AuthContext = createContext<AuthContextValue | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<AuthState>({ status: 'checking' });

  useEffect(() => {
    const ctl = new AbortController();
    me(ctl.signal)
      .then((s) => setState(s ? { status: 'user', session: s } : { status: 'anonymous', expired: false }))
      .catch(() => {
        if (!ctl.signal.aborted) setState({ status: 'anonymous', expired: false });
      });
    const off = onSessionExpired(() => setState({ status: 'anonymous', expired: true }));
    return () => {
      ctl.abort();
      off();
    };
  }, []);

  const signedIn = useCallback((s: SessionInfo) => setState({ status: 'user', session: s }), []);
  const signOut = useCallback(async () => {
    try {
      await apiLogout();
    } finally {
      setState({ status: 'anonymous', expired: false });
    }
  }, []);
  const value = useMemo(() => ({ state, signedIn, signOut }), [state, signedIn, signOut]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthContextValue {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error('useAuth outside AuthProvider');
  return ctx;
}
