// The dashboard: the space tree with live counts, a 24-hour chart of one space in its time zone
// with its traffic by doorway over the same hours, the DPUs (flagging the silent ones) and the latest alerts. Every API request carries the read
// token as "Authorization: Bearer"; the live counts come from GET /v1/events read with fetch()
// (EventSource cannot send that header).
'use strict';
(() => {
  const TOKEN_KEY = 'density.token';
  const SILENT_KEY = 'density.silentMinutes';
  const REFRESH_MS = 30_000;
  const CHART_REFRESH_MS = 60_000;
  const DAY_MS = 24 * 3600_000;
  const $ = (id) => document.getElementById(id);

  const state = {
    token: null,
    spaces: new Map(), // id → {space, count, version}
    selected: null,
    plot: null,
    stream: null, // AbortController of the open stream
    streamSeq: 0,
    retryMs: 1000,
    timers: [],
  };

  class AuthError extends Error {}

  // ------------------------------------------------------------------ API

  function authHeaders() {
    return state.token ? { Authorization: 'Bearer ' + state.token } : {};
  }

  async function api(path) {
    const r = await fetch(path, { headers: authHeaders(), cache: 'no-store' });
    if (r.status === 401 || r.status === 403) {
      const body = await r.json().catch(() => ({}));
      throw new AuthError(body.error || 'the token was refused');
    }
    const body = await r.json().catch(() => ({}));
    if (!r.ok) {
      throw new Error(path + ': ' + (body.error || r.status));
    }
    return body;
  }

  const enc = encodeURIComponent;

  // ------------------------------------------------------------------ token

  function takeTokenFromFragment() {
    // Dev mode prints /ui/#token=…: the fragment never reaches a server or its logs.
    const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
    if (m) {
      sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
      history.replaceState(null, '', location.pathname + location.search);
    }
  }

  function showLogin(message) {
    stop();
    $('board').hidden = true;
    $('forget').hidden = true;
    $('login').hidden = false;
    $('login-error').textContent = message || '';
    $('token').focus();
  }

  function showError(e) {
    if (e instanceof AuthError) {
      sessionStorage.removeItem(TOKEN_KEY);
      state.token = null;
      showLogin(e.message);
    } else {
      $('error').textContent = e.message || String(e);
    }
  }

  // ------------------------------------------------------------------ spaces

  function renderSpaces(items) {
    state.spaces.clear();
    const children = new Map();
    for (const s of items) {
      state.spaces.set(s.id, { space: s, count: null, version: 0 });
      const parent = s.parent_id && items.some((p) => p.id === s.parent_id) ? s.parent_id : null;
      if (!children.has(parent)) children.set(parent, []);
      children.get(parent).push(s);
    }
    const build = (parent) => {
      const ul = document.createElement('ul');
      for (const s of children.get(parent) || []) {
        const li = document.createElement('li');
        const row = document.createElement('div');
        row.className = 'space';
        row.dataset.space = s.id;
        const name = document.createElement('span');
        name.className = 'name';
        name.textContent = s.name || s.id;
        if (s.name && s.name !== s.id) {
          const id = document.createElement('span');
          id.className = 'id';
          id.textContent = ' ' + s.id;
          name.append(id);
        }
        const count = document.createElement('span');
        count.className = 'count';
        const value = document.createElement('b');
        value.className = 'value';
        value.textContent = '–';
        count.append(value);
        if (s.capacity != null) {
          const cap = document.createElement('span');
          cap.className = 'capacity';
          cap.textContent = ' / ' + s.capacity;
          count.append(cap);
        }
        const bar = document.createElement('div');
        bar.className = 'bar';
        bar.append(document.createElement('span'));
        row.append(name, count, bar);
        row.addEventListener('click', () => select(s.id));
        li.append(row);
        if (children.has(s.id)) li.append(build(s.id));
        ul.append(li);
      }
      return ul;
    };
    $('spaces').replaceChildren(...build(null).childNodes);
  }

  function showCount(id, count, flash) {
    const entry = state.spaces.get(id);
    if (!entry) return;
    entry.count = count;
    const row = document.querySelector('.space[data-space="' + CSS.escape(id) + '"]');
    if (!row) return;
    const value = row.querySelector('.value');
    value.textContent = count == null ? '–' : String(count);
    const cap = entry.space.capacity;
    const share = cap ? Math.min(1, Math.max(0, (count || 0) / cap)) : 0;
    row.querySelector('.bar span').style.width = (cap ? share * 100 : 0) + '%';
    row.classList.toggle('full', cap != null && count != null && count > cap);
    row.classList.toggle('busy', cap != null && count != null && count > 0.8 * cap);
    if (flash) {
      const c = row.querySelector('.count');
      c.classList.remove('changed');
      void c.offsetWidth; // restarts the animation
      c.classList.add('changed');
    }
  }

  /** Current counts; a space whose count changed on the stream meanwhile keeps that one. */
  function loadCounts() {
    for (const [id, entry] of state.spaces) {
      const version = entry.version;
      api('/v1/spaces/' + enc(id) + '/count')
        .then((body) => {
          if (entry.version === version) showCount(id, body.count, false);
        })
        .catch(showError);
    }
  }

  // ------------------------------------------------------------------ live stream

  function setLive(on) {
    $('live').textContent = on ? 'live' : 'offline';
    $('live').classList.toggle('off', !on);
  }

  async function connect() {
    const seq = ++state.streamSeq;
    const abort = new AbortController();
    state.stream = abort;
    try {
      const r = await fetch('/v1/events', {
        headers: { ...authHeaders(), Accept: 'text/event-stream' },
        cache: 'no-store',
        signal: abort.signal,
      });
      if (r.status === 401 || r.status === 403) {
        throw new AuthError('the token was refused');
      }
      if (!r.ok || !r.body) {
        throw new Error('the event stream answered ' + r.status);
      }
      const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replace(/\r\n?/g, '\n');
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          handleEvent(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch (e) {
      if (abort.signal.aborted) return;
      if (e instanceof AuthError) {
        showError(e);
        return;
      }
    }
    if (seq !== state.streamSeq) return;
    setLive(false);
    // The server closes a stream that cannot keep up: reconnect, then read the counts again.
    const wait = state.retryMs;
    state.retryMs = Math.min(30_000, state.retryMs * 2);
    state.timers.push(setTimeout(() => seq === state.streamSeq && connect(), wait));
  }

  function handleEvent(block) {
    let type = 'message';
    const data = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) {
        if (line.startsWith(': connected')) {
          state.retryMs = 1000;
          setLive(true);
          loadCounts(); // the changes from now on arrive on the stream
        }
      } else if (line.startsWith('event:')) {
        type = line.slice(6).trim();
      } else if (line.startsWith('data:')) {
        data.push(line.slice(5).replace(/^ /, ''));
      }
    }
    if (type === 'alert') {
      loadAlerts().catch(showError); // an alert fired or cleared: the list now, not at the next refresh
      return;
    }
    if (type !== 'count' || data.length === 0) return;
    const change = JSON.parse(data.join('\n'));
    const entry = state.spaces.get(change.space_id);
    if (!entry) return;
    entry.version++;
    showCount(change.space_id, change.count, true);
  }

  // ------------------------------------------------------------------ chart

  async function select(id) {
    state.selected = id;
    document
      .querySelectorAll('.space')
      .forEach((row) => row.classList.toggle('selected', row.dataset.space === id));
    await loadChart();
  }

  async function loadChart() {
    const id = state.selected;
    const entry = state.spaces.get(id);
    if (!entry) return;
    const tz = entry.space.time_zone || 'UTC';
    const step = 15 * 60_000;
    const end = Math.ceil(Date.now() / step) * step;
    const start = end - DAY_MS;
    const body = await api(
      '/v1/spaces/' + enc(id) + '/counts?interval=15m&by=doorway&tz=' + enc(tz) +
        '&start=' + new Date(start).toISOString() + '&end=' + new Date(end).toISOString());
    if (state.selected !== id) return;
    const xs = [], counts = [], maxes = [];
    for (const b of body.buckets) {
      xs.push(Date.parse(b.end) / 1000);
      counts.push(b.count);
      maxes.push(b.max);
    }
    $('chart-space').textContent = entry.space.name || id;
    $('chart-zone').textContent = '(' + tz + ')';
    $('chart-note').textContent =
      '15-minute buckets: the count at each bucket\'s end and the most it held within it.';
    drawChart([xs, counts, maxes], tz, entry.space.capacity);
    renderDoorways(body);
  }

  /** The space's doorways with their entries and exits over the charted buckets. */
  function renderDoorways(series) {
    const totals = new Map((series.doorway_ids || []).map((d) => [d, { entries: 0, exits: 0 }]));
    for (const b of series.buckets) {
      for (const d of b.doorways || []) {
        const t = totals.get(d.doorway_id);
        if (!t) continue;
        t.entries += d.entries;
        t.exits += d.exits;
      }
    }
    const rows = [...totals].map(([doorway, t]) => {
      const tr = document.createElement('tr');
      tr.dataset.doorway = doorway;
      tr.append(cell(doorway), cell(t.entries), cell(t.exits));
      return tr;
    });
    if (rows.length === 0) {
      const tr = document.createElement('tr');
      const td = cell('No doorway linked to this space in these hours.');
      td.colSpan = 3;
      tr.append(td);
      rows.push(tr);
    }
    $('doorways').replaceChildren(...rows);
  }

  function drawChart(data, tz, capacity) {
    const el = $('chart');
    if (typeof uPlot === 'undefined') {
      el.textContent = 'The chart library did not load.';
      return;
    }
    if (state.plot) state.plot.destroy();
    const series = [
      {},
      { label: 'count', stroke: '#3558c8', width: 2, paths: uPlot.paths.stepped({ align: 1 }) },
      { label: 'max', stroke: '#c77700', dash: [4, 4], paths: uPlot.paths.stepped({ align: 1 }) },
    ];
    if (capacity != null) {
      series.push({ label: 'capacity', stroke: '#c62828', width: 1, dash: [2, 6] });
      data.push(data[0].map(() => capacity));
    }
    state.plot = new uPlot(
      {
        width: Math.max(300, el.clientWidth),
        height: 260,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), tz),
        scales: { y: { range: (u, min, max) => [0, Math.max(5, max + 1)] } },
        series,
        axes: [{}, { label: 'people' }],
      },
      data,
      el);
  }

  // ------------------------------------------------------------------ DPUs and alerts

  function ago(iso) {
    if (!iso) return 'never';
    const s = Math.round((Date.now() - Date.parse(iso)) / 1000);
    if (s < 60) return s + ' s ago';
    if (s < 3600) return Math.round(s / 60) + ' min ago';
    if (s < 172800) return Math.round(s / 3600) + ' h ago';
    return Math.round(s / 86400) + ' days ago';
  }

  function cell(text, title) {
    const td = document.createElement('td');
    td.textContent = text == null ? '' : String(text);
    if (title) td.title = title;
    return td;
  }

  // One request whatever the fleet's size: its counts, and the DPUs most in need of a look
  // (never reported, then the stalest first), flagged by the server against the threshold.
  async function loadDpus() {
    const minutes = Math.max(1, Math.round(Number($('silent-minutes').value) || 60));
    const fleet = await api('/v1/dpu-activity?limit=50&silent_minutes=' + minutes);
    $('dpu-summary').textContent =
      fleet.registered + ' registered, ' + fleet.reporting + ' reporting; ' +
      fleet.silent + ' silent for ' + minutes + ' min, ' +
      fleet.never_reported + ' never reported' +
      (fleet.items.length < fleet.reporting + fleet.never_reported
        ? ' (the ' + fleet.items.length + ' stalest below)' : '');
    const rows = fleet.items.map((d) => {
      const tr = document.createElement('tr');
      tr.dataset.dpu = d.dpu_id;
      tr.classList.toggle('silent', d.silent);
      tr.append(
        cell(d.dpu_id),
        cell(d.name),
        cell(d.last_timestamp ? ago(d.last_timestamp) : 'never', d.last_timestamp),
        cell(d.last_received_at ? ago(d.last_received_at) : 'never', d.last_received_at));
      return tr;
    });
    $('dpus').replaceChildren(...rows);
  }

  async function loadAlerts() {
    const body = await api('/v1/alerts?limit=20');
    const rows = body.items.map((a) => {
      const tr = document.createElement('tr');
      tr.className = 'alert';
      if (a.dpu_id != null) {
        // A sensor-health alert: the DPU (and the space whose rule it is), fired or cleared.
        tr.classList.add('dpu-alert', a.state);
        tr.append(
          cell(ago(a.fired_at), a.fired_at),
          cell('DPU ' + a.dpu_id + (a.space_id != null ? ' (' + a.space_id + ')' : '')),
          cell(a.rule === 'space' ? 'on the space' : 'on the DPU'),
          cell(a.kind + ' ' + a.state),
          cell((a.value == null ? '–' : a.value) + ' (threshold ' + a.threshold + ')'));
        return tr;
      }
      tr.append(
        cell(ago(a.fired_at), a.fired_at),
        cell(a.space_id),
        cell(a.rule),
        cell(a.kind),
        cell(a.count + ' (level ' + a.level + ')'));
      return tr;
    });
    if (rows.length === 0) {
      const tr = document.createElement('tr');
      const td = cell('No alert fired.');
      td.colSpan = 5;
      tr.append(td);
      rows.push(tr);
    }
    $('alerts').replaceChildren(...rows);
  }

  // ------------------------------------------------------------------ start and stop

  function stop() {
    state.streamSeq++;
    if (state.stream) state.stream.abort();
    state.stream = null;
    state.timers.forEach((t) => {
      clearTimeout(t);
      clearInterval(t);
    });
    state.timers = [];
    setLive(false);
  }

  async function start() {
    stop();
    state.token = sessionStorage.getItem(TOKEN_KEY);
    $('error').textContent = '';
    let spaces;
    try {
      spaces = await api('/v1/spaces');
    } catch (e) {
      if (e instanceof AuthError) {
        showLogin(state.token ? e.message : '');
        sessionStorage.removeItem(TOKEN_KEY);
        return;
      }
      showError(e);
      return;
    }
    $('login').hidden = true;
    $('board').hidden = false;
    $('forget').hidden = !state.token;
    renderSpaces(spaces.items);
    connect();
    const first = spaces.items.length ? spaces.items[0].id : null;
    if (first) select(first).catch(showError);
    loadDpus().catch(showError);
    loadAlerts().catch(showError);
    state.timers.push(
      setInterval(() => {
        loadDpus().catch(showError);
        loadAlerts().catch(showError);
      }, REFRESH_MS),
      setInterval(() => loadChart().catch(showError), CHART_REFRESH_MS));
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('silent-minutes').value = localStorage.getItem(SILENT_KEY) || '60';
    $('silent-minutes').addEventListener('change', () => {
      localStorage.setItem(SILENT_KEY, $('silent-minutes').value);
      loadDpus().catch(showError);
    });
    $('login').addEventListener('submit', (ev) => {
      ev.preventDefault();
      sessionStorage.setItem(TOKEN_KEY, $('token').value.trim());
      $('token').value = '';
      start();
    });
    $('forget').addEventListener('click', () => {
      sessionStorage.removeItem(TOKEN_KEY);
      showLogin('');
    });
    window.addEventListener('resize', () => {
      if (state.plot) state.plot.setSize({ width: $('chart').clientWidth, height: 260 });
    });
    takeTokenFromFragment();
    start();
  });
})();
