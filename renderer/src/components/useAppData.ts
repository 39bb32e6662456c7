import { useCallback, useEffect, useState } from 'react';
import type { AppInfo, HealthSample, ProfileView, SupervisorState } from '../../../electron/shared/contract';
import { api } from '../api';

/** The app's live state for every page: profiles, server state, health history, app info. */
export function useAppData() {
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [profiles, setProfiles] = useState<ProfileView[]>([]);
  const [server, setServer] = useState<SupervisorState>({ status: 'stopped' });
  const [health, setHealth] = useState<HealthSample[]>([]);

  const reload = useCallback(async () => {
    const [nextInfo, nextProfiles, nextServer, nextHealth] = await Promise.all([
      api.app.info(),
      api.profiles.list(),
      api.server.state(),
      api.health.history(),
    ]);
    setInfo(nextInfo);
    setProfiles(nextProfiles);
    setServer(nextServer);
    setHealth(nextHealth);
  }, []);

  useEffect(() => {
    void reload();
    const stops = [
      api.events.on('profiles-changed', setProfiles),
      api.events.on('server-state', setServer),
      // A sample of another series (after a switch) starts the history afresh: no points of the previous broker.
      api.events.on('health-sample', (sample) =>
        setHealth((history) => [...history.filter((earlier) => earlier.series === sample.series), sample].slice(-120)),
      ),
    ];
    return () => {
      for (const stop of stops) stop();
    };
  }, [reload]);

  return { info, profiles, server, health, reload };
}

export type AppData = ReturnType<typeof useAppData>;
