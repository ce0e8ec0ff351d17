// The SEER panel: the whole annotation loop (ask, read the answer, correct, save, learn) at the top of the MONAI
// Label panel of the OHIF build inside the monailabel wheel.
//
// lib/server/ohif.py inserts this file, as it is, into that build's MONAI Label chunk, just before the
// MonaiLabelPanel class, which renders <SeerPanel panel={this}/> first. So it is plain JavaScript in the chunk's
// scope (no JSX, no imports): `react` is the chunk's React module; `panel` is the MonaiLabelPanel instance, whose
// own methods do what they already do for the stock panel: onInfo (connect: /info, the segments), updateView
// (draw an NRRD reply), getActiveViewportInfo (the series shown).
//
// Accessible names the tests and the README rely on (keep them stable): the text box "Request", the buttons
// "Segment", "Why?", "Save as final", "Update Model", one button per candidate named by its display name, and the
// answer in the element with role="status".

// The server that served this page (…/ohif/… is where it serves OHIF): the panel talks to it, nothing else.
function seerServerURL() {
  const path = window.location.pathname;
  const at = path.indexOf('/ohif/');
  return window.location.origin + (at > 0 ? path.slice(0, at) : '') + '/';
}

const SEER_MODEL = 'seer';
const SEER_SEGMENTATION = '1'; // the labelmap the MONAI Label panel creates on connect and updateView fills
// What the panel remembers while OHIF unmounts it (switching to the segmentation tools' tab and back).
const seerMemory = {answer: null, request: null, note: null, statusKind: null};
// OHIF's stylesheet resets buttons to bare text: these make them look like the MONAI Label panel's own.
const seerButtonStyle = {background: '#0c5fad', color: 'white', border: 'none', borderRadius: '4px',
  padding: '3px 10px', margin: '2px 0', cursor: 'pointer'};
const seerLinkStyle = {background: 'none', color: '#5acce6', border: 'none', padding: '0 4px 0 0',
  textDecoration: 'underline', cursor: 'pointer', textAlign: 'left'};
const seerStatusColours = {ok: '#3cb371', rejected: '#e8a33d', clarify: '#5acce6', error: '#e05252',
  saved: '#3cb371', trained: '#3cb371'};

function seerApi(path) {
  return new URL(path, seerServerURL()).toString();
}

// The signed-in user's bearer token, where OHIF signs users in (its app-config `oidc`: `--conf ohif_oidc`): OHIF's
// userAuthenticationService holds it, and OHIF sends it on its own DICOMweb requests. With auth off there is none.
function seerAuthHeaders() {
  try {
    const service = window.services && window.services.userAuthenticationService;
    const header = service && service.getAuthorizationHeader && service.getAuthorizationHeader();
    return header && header.Authorization ? {Authorization: header.Authorization} : {};
  } catch (e) {
    return {};
  }
}

// Every request of the panel to this server, with the user's token.
function seerFetch(path, options = {}) {
  return fetch(seerApi(path), {...options, headers: {...(options.headers || {}), ...seerAuthHeaders()}});
}

// The MONAI Label panel's own client (axios, in this chunk's scope) talks to the same server: the same token on
// its requests (connect, infer, save), and on no other host's.
axios_default().interceptors.request.use((config) => {
  if (String(config.url || '').startsWith(seerServerURL())) {
    for (const [name, value] of Object.entries(seerAuthHeaders())) config.headers[name] = value;
  }
  return config;
});

// The reason a reply gives: FastAPI's {"detail": ...}, else its text.
async function seerDetail(reply) {
  const text = await reply.text();
  try {
    const body = JSON.parse(text);
    return typeof body.detail === 'string' ? body.detail : JSON.stringify(body.detail || body);
  } catch (e) {
    return text || reply.statusText;
  }
}

// A label map as NRRD (raw, little endian), on the grid of a Cornerstone volume (LPS, as DICOM and ITK).
function seerNrrd(values, volume) {
  const [nx, ny, nz] = volume.dimensions;
  const d = volume.direction;
  const s = volume.spacing;
  const axis = (a) => '(' + [0, 1, 2].map((k) => d[3 * a + k] * s[a]).join(',') + ')';
  const header = 'NRRD0004\n' +
    'type: ' + (values instanceof Uint16Array ? 'uint16' : 'uint8') + '\n' +
    'dimension: 3\nspace: left-posterior-superior\n' +
    'sizes: ' + nx + ' ' + ny + ' ' + nz + '\n' +
    'space directions: ' + axis(0) + ' ' + axis(1) + ' ' + axis(2) + '\n' +
    'kinds: domain domain domain\nendian: little\nencoding: raw\n' +
    'space origin: (' + volume.origin.join(',') + ')\n\n';
  return new Blob([header, values.buffer], {type: 'application/octet-stream'});
}

// What a SEER-Loop round did, from its statistics (/info's train_stats).
function seerRoundText(stats) {
  const dice = (v) => (typeof v === 'number' ? v.toFixed(2) : 'n/a');
  return 'Model updated (skill bank ' + (stats.version || 'n/a') + '): harvested ' + (stats.harvested || 0) +
    ', merged ' + (stats.merged || 0) + ', purged ' + (stats.purged || 0) + '; Dice before ' +
    dice(stats.dice_before) + ', after ' + dice(stats.dice_after) + '.';
}

class SeerPanel extends react.Component {
  constructor(props) {
    super(props);
    this.state = {
      prompt: '', busy: false, connected: false, why: false, names: {}, earlier: [],
      answer: seerMemory.answer, request: seerMemory.request, note: seerMemory.note,
      statusKind: seerMemory.statusKind,
    };
  }

  remember(update) {
    for (const key of Object.keys(seerMemory)) {
      if (key in update) seerMemory[key] = update[key];
    }
    if (this.alive) this.setState(update);
  }

  async componentDidMount() {
    this.alive = true;
    try {
      const reply = await seerFetch('seer/concepts');
      if (reply.ok && this.alive) this.setState({names: (await reply.json()).names});
    } catch (e) {
      console.warn('SEER: no concept names', e);
    }
    this.connectWhenShown();
  }

  componentWillUnmount() {
    this.alive = false;
    clearTimeout(this.timer);
  }

  // The series on screen, or null while OHIF is still loading it.
  series() {
    try {
      const {displaySet} = this.props.panel.getActiveViewportInfo();
      return displaySet && displaySet.SeriesInstanceUID ? displaySet : null;
    } catch (e) {
      return null;
    }
  }

  // The series is shown: its images are known and its viewport holds them (the segments are made from them).
  shown() {
    const displaySet = this.series();
    if (!displaySet || !(displaySet.imageIds || []).length) return null;
    try {
      const {viewport} = this.props.panel.getActiveViewportInfo();
      const {cornerstoneViewportService} = this.props.panel.props.servicesManager.services;
      const shown = cornerstoneViewportService.getCornerstoneViewport(viewport.viewportId);
      return shown && shown.getDefaultActor && shown.getDefaultActor() ? displaySet : null;
    } catch (e) {
      return null;
    }
  }

  // Connect the MONAI Label panel to this server once a series is shown.
  connectWhenShown() {
    if (!this.alive) return;
    const displaySet = this.shown();
    if (!displaySet) {
      this.timer = setTimeout(() => this.connectWhenShown(), 500);
      return;
    }
    this.connect(displaySet);
  }

  // One connection at a time per panel (mounting and a save may both ask), so its toasts are restored once.
  connect(displaySet) {
    const panel = this.props.panel;
    if (!panel.seerConnecting) {
      panel.seerConnecting = this.connectOnce(displaySet).finally(() => {
        panel.seerConnecting = null;
      });
    }
    return panel.seerConnecting;
  }

  async connectOnce(displaySet) {
    const panel = this.props.panel;
    if (!panel.state.isDataReady) {
      // The stock panel announces connecting in OHIF's toasts, which also have role="status": the SEER status
      // says it instead, so that the page holds one status element.
      const toasts = panel.notification;
      panel.notification = {show: () => 'seer-quiet', hide: () => null};
      try {
        await panel.onInfo(seerServerURL());
      } catch (e) {
        console.error('SEER: connecting failed', e);
      } finally {
        panel.notification = toasts;
      }
      // onInfo's setState lands after it returns.
      for (let wait = 0; wait < 20 && !panel.state.isDataReady; wait++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    if (!this.alive) return;
    const connected = !!panel.state.isDataReady;
    this.setState({connected});
    if (!connected && !this.state.answer) {
      this.remember({note: 'Could not connect to ' + seerServerURL() + ' (see the browser console).',
        statusKind: 'error'});
    }
    this.loadEarlier(displaySet.SeriesInstanceUID);
  }

  async loadEarlier(image) {
    try {
      const reply = await seerFetch('seer/requests?image=' + encodeURIComponent(image));
      if (reply.ok && this.alive) this.setState({earlier: (await reply.json()).prompts || []});
    } catch (e) {
      console.warn('SEER: no earlier requests', e);
    }
  }

  displayName(conceptId) {
    return this.state.names[conceptId] || conceptId.replace(/_/g, ' ');
  }

  // Ask the server. `extra` goes into params (a candidate chosen from a question names the question it answers).
  async segment(promptText, extra) {
    const prompt = (promptText || '').trim();
    const displaySet = this.series();
    if (!prompt || this.state.busy) return;
    if (!displaySet) {
      this.remember({note: 'No series is shown yet.', statusKind: 'error'});
      return;
    }
    const panel = this.props.panel;
    if (!panel.state.isDataReady) await this.connect(displaySet);
    const image = displaySet.SeriesInstanceUID;
    this.setState({busy: true, why: false});
    this.remember({note: 'Segmenting "' + prompt + '" …', statusKind: 'busy', answer: null});
    const params = Object.assign({prompt: prompt, result_extension: '.nrrd', result_dtype: 'uint8',
      result_compress: false, restore_label_idx: false}, extra || {});
    const form = new FormData();
    form.append('params', JSON.stringify(params));
    try {
      const reply = await seerFetch('infer/' + SEER_MODEL + '?image=' + encodeURIComponent(image) +
        '&output=all', {method: 'POST', body: form});
      if (!reply.ok) {
        this.remember({note: await seerDetail(reply), statusKind: 'error'});
        return;
      }
      // output=all: multipart (the answer's JSON and the NRRD label map), or the JSON alone when no map came back.
      let answer;
      let labels = null;
      if ((reply.headers.get('content-type') || '').startsWith('multipart/')) {
        const parts = await reply.formData();
        const json = parts.get('params');
        answer = JSON.parse(typeof json === 'string' ? json : await json.text());
        const file = parts.get('image');
        labels = file && typeof file !== 'string' ? await file.arrayBuffer() : null;
      } else {
        answer = await reply.json();
      }
      const names = Object.keys(answer.label_names || {});
      if (answer.status === 'ok' && labels && names.length) {
        await panel.updateView({data: labels}, SEER_MODEL, names);
        this.activate(names[0]);
      }
      this.remember({answer: answer, note: null, statusKind: answer.status,
        request: {request_id: answer.request_id, prompt: prompt, image: image}});
      this.setState({prompt: ''});
      this.loadEarlier(image);
    } catch (e) {
      this.remember({note: 'The request failed: ' + e.message, statusKind: 'error'});
    } finally {
      if (this.alive) this.setState({busy: false});
    }
  }

  // Make a concept's segment the active one, so that OHIF's brush and eraser edit it.
  activate(conceptId) {
    try {
      const {segmentationService} = this.props.panel.props.servicesManager.services;
      const segments = this.segments();
      for (const [index, segment] of Object.entries(segments)) {
        if (segment && segment.label === conceptId) {
          segmentationService.setActiveSegment(SEER_SEGMENTATION, Number(index));
          return;
        }
      }
    } catch (e) {
      console.warn('SEER: could not activate the segment', e);
    }
  }

  segments() {
    const {segmentationService} = this.props.panel.props.servicesManager.services;
    const segmentation = segmentationService.getSegmentations().find((s) => s.segmentationId === SEER_SEGMENTATION);
    return segmentation ? segmentation.segments || (segmentation.config || {}).segments || {} : {};
  }

  // The edited segmentation as the image's final label, with the request it corrects (its id and prompt).
  async saveFinal() {
    const request = this.state.request;
    const panel = this.props.panel;
    if (!request) {
      this.remember({note: 'Ask for a segment first: a final label is saved with the request it answers.',
        statusKind: 'error'});
      return;
    }
    // OHIF remounts the panel when its tab is shown again: the label values come from the connection.
    const displaySet = this.series();
    if (!panel.state.isDataReady && displaySet) await this.connect(displaySet);
    const {segmentationService} = panel.props.servicesManager.services;
    const volume = segmentationService.getLabelmapVolume(SEER_SEGMENTATION);
    const toValue = (panel.state.info.modelLabelToIdxMap || {})[SEER_MODEL] || {};
    if (!volume) {
      this.remember({note: 'There is no segmentation to save yet.', statusKind: 'error'});
      return;
    }
    // OHIF numbers segments alphabetically; the server's label values are the vocabulary's (as /info lists them).
    const valueOf = {};
    for (const [index, segment] of Object.entries(this.segments())) {
      if (segment && toValue[segment.label]) valueOf[index] = [segment.label, toValue[segment.label]];
    }
    const data = volume.voxelManager.getCompleteScalarDataArray();
    const wide = Object.values(valueOf).some(([, value]) => value > 255);
    const values = wide ? new Uint16Array(data.length) : new Uint8Array(data.length);
    const present = {};
    for (let n = 0; n < data.length; n++) {
      const hit = data[n] && valueOf[data[n]];
      if (hit) {
        values[n] = hit[1];
        present[hit[0]] = hit[1];
      }
    }
    if (!Object.keys(present).length) {
      this.remember({note: 'Nothing is painted: the final label would be empty.', statusKind: 'error'});
      return;
    }
    const ordered = Object.entries(present).sort((a, b) => a[1] - b[1]);
    const params = {request_id: request.request_id, prompt: request.prompt, label_names: present,
      label_info: ordered.map(([name]) => ({name: name})), client: 'ohif'};
    const form = new FormData();
    form.append('params', JSON.stringify(params));
    form.append('label', seerNrrd(values, volume), 'label.nrrd');
    this.setState({busy: true});
    this.remember({note: 'Saving the final label …', statusKind: 'busy'});
    try {
      const reply = await seerFetch('datastore/label?image=' + encodeURIComponent(request.image) +
        '&tag=final', {method: 'PUT', body: form});
      if (!reply.ok) {
        this.remember({note: 'Not saved: ' + await seerDetail(reply), statusKind: 'error'});
        return;
      }
      const saved = await reply.json();
      const names = ordered.map(([name]) => this.displayName(name)).join(', ');
      this.remember({note: 'Saved as final: ' + names + ', for "' + request.prompt + '"' +
        (saved.seer_paired_request ? ' (request ' + saved.seer_paired_request + ')' : '') + '.',
        statusKind: 'saved'});
    } catch (e) {
      this.remember({note: 'Not saved: ' + e.message, statusKind: 'error'});
    } finally {
      if (this.alive) this.setState({busy: false});
    }
  }

  // One SEER-Loop round (POST /train/seer), waited for; the status shows what it learnt.
  async updateModel() {
    this.setState({busy: true});
    this.remember({note: 'Updating the model …', statusKind: 'busy'});
    const lastRound = async () => {
      const reply = await seerFetch('info/');
      return reply.ok ? ((await reply.json()).train_stats || {})[SEER_MODEL] || {} : {};
    };
    try {
      const before = JSON.stringify(await lastRound());
      const started = await seerFetch('train/' + SEER_MODEL, {method: 'POST',
        headers: {'Content-Type': 'application/json'}, body: '{}'});
      if (!started.ok) {
        this.remember({note: 'Update Model: ' + await seerDetail(started), statusKind: 'error'});
        return;
      }
      const task = await started.json();
      let status = task;
      let stats = null;
      while (!status || ['SUBMITTED', 'RUNNING'].includes(status.status)) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        const reply = await seerFetch('train/');
        status = reply.ok ? await reply.json() : null;
        if (status && task.id && status.id !== task.id) status = null;
        // A round that wrote a bank version is in /info as soon as it is committed; the training process may
        // take a while longer to exit.
        const now = await lastRound();
        if (JSON.stringify(now) !== before && typeof now.harvested === 'number') {
          stats = now;
          break;
        }
      }
      if (stats) {
        this.remember({note: seerRoundText(stats), statusKind: 'trained'});
        return;
      }
      const details = (status.details || []).join('\n');
      if (status.status !== 'DONE') {
        this.remember({note: 'Update Model ended ' + status.status + ': ' + details.slice(-400),
          statusKind: 'error'});
        return;
      }
      const nothing = /seer train: (no new corrections[^\n]*)/.exec(details);
      if (nothing) {
        this.remember({note: nothing[1], statusKind: 'trained'});
        return;
      }
      this.remember({note: seerRoundText(await lastRound()), statusKind: 'trained'});
    } catch (e) {
      this.remember({note: 'Update Model failed: ' + e.message, statusKind: 'error'});
    } finally {
      if (this.alive) this.setState({busy: false});
    }
  }

  renderAnswer() {
    const e = react.createElement;
    const {answer, note, statusKind} = this.state;
    if (note || !answer) {
      return e('p', {className: 'seer-note', 'data-kind': statusKind || 'idle'},
        note || (this.state.connected ? 'Connected. Type a request.' : 'Connecting to ' + seerServerURL() + ' …'));
    }
    const spec = answer.spec || {};
    const lines = [e('p', {key: 'message', 'data-kind': answer.status}, answer.status + ': ' + answer.message)];
    if (answer.status === 'ok') {
      const names = Object.keys(answer.label_names || {}).map((c) => this.displayName(c));
      lines.push(e('p', {key: 'segments'}, 'Segments: ' + names.join(', ') + ' · confidence ' +
        (typeof spec.confidence === 'number' ? spec.confidence.toFixed(2) : 'n/a') +
        (spec.skill ? ' · learnt skill ' + spec.skill : '')));
    }
    if (answer.status === 'clarify' && (spec.candidates || []).length) {
      lines.push(e('div', {key: 'candidates', style: {display: 'flex', flexWrap: 'wrap', gap: '4px'}},
        spec.candidates.map((c) => e('button', {
          key: c, type: 'button', className: 'seer-button', disabled: this.state.busy, style: seerButtonStyle,
          onClick: () => this.segment(this.displayName(c), {seer_answers: answer.request_id, seer_choice: c}),
        }, this.displayName(c)))));
    }
    return lines;
  }

  renderWhy() {
    const e = react.createElement;
    const spec = (this.state.answer || {}).spec;
    if (!spec || !spec.trace) return null;
    const trace = spec.trace;
    const evidence = trace.evidence || {};
    const present = Object.keys(evidence.present || {});
    const item = (key, label, value) => e('li', {key: key}, e('b', null, label + ': '), value);
    return e('div', {className: 'seer-why'},
      e('button', {type: 'button', className: 'seer-link', style: seerLinkStyle, 'aria-expanded': this.state.why,
        onClick: () => this.setState({why: !this.state.why})}, 'Why?'),
      this.state.why && e('ul', {style: {fontSize: 'smaller', paddingLeft: '12px'}},
        item('evidence', 'Evidence', [evidence.modality, (evidence.region || []).join(', '),
          evidence.vertebral_levels, present.length + ' structures seen'].filter(Boolean).join(' · ')),
        item('rationale', 'Rationale', (trace.rationale || []).join(' ')),
        trace.expression && item('expression', 'Expression', JSON.stringify(trace.expression)),
        item('ledger', 'Confidence ledger', (trace.ledger || []).length ?
          trace.ledger.map((entry) => (typeof entry === 'string' ? entry : JSON.stringify(entry))).join('; ') :
          'confidence ' + spec.confidence),
        (trace.unexplained || []).length > 0 && item('unexplained', 'Unexplained words',
          trace.unexplained.map((w) => (typeof w === 'string' ? w : JSON.stringify(w))).join(', '))));
  }

  render() {
    const e = react.createElement;
    const {busy, prompt, earlier} = this.state;
    const box = {width: '100%', color: 'black', padding: '2px 4px', marginBottom: '4px'};
    return e('section', {className: 'seerPanel', 'aria-label': 'SEER', style: {color: 'white', padding: '4px'}},
      e('form', {
        onSubmit: (event) => {
          event.preventDefault();
          this.segment(prompt);
        },
      },
      e('input', {
        type: 'text', 'aria-label': 'Request', placeholder: 'e.g. the left kidney', value: prompt,
        style: box, autoComplete: 'off', // no datalist: it would make the box a combobox, not a text box
        onChange: (event) => this.setState({prompt: event.target.value}),
      }),
      e('button', {type: 'submit', className: 'seer-button', disabled: busy, style: seerButtonStyle}, 'Segment')),
      e('div', {role: 'status', 'aria-live': 'polite', className: 'seer-status',
        style: {margin: '6px 0', minHeight: '2em', paddingLeft: '6px', overflowWrap: 'anywhere',
          borderLeft: '3px solid ' + (seerStatusColours[this.state.statusKind] || '#555')}}, this.renderAnswer()),
      this.renderWhy(),
      e('div', {style: {display: 'flex', gap: '6px', marginTop: '6px'}},
        e('button', {type: 'button', className: 'seer-button', disabled: busy, style: seerButtonStyle,
          onClick: () => this.saveFinal()},
          'Save as final'),
        e('button', {type: 'button', className: 'seer-button', disabled: busy, style: seerButtonStyle,
          onClick: () => this.updateModel()},
          'Update Model')),
      earlier.length > 0 && e('details', {style: {fontSize: 'smaller', marginTop: '6px'}},
        e('summary', null, 'Earlier requests for this series'),
        earlier.map((p) => e('button', {
          key: p, type: 'button', className: 'seer-link', style: seerLinkStyle, title: 'Use this request again',
          onClick: () => this.setState({prompt: p}),
        }, p))),
      e('hr', {className: 'separator'}));
  }
}
