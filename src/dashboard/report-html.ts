/**
 * A performance report as one self-contained HTML file: the recorded data as JSON inside the
 * page and a small script that draws it (task stream, per-group durations, transfer totals,
 * worker memory over time, a flame graph per task group when the profiler ran). No network is
 * needed to open it; `window.__report` holds the data.
 */

import type { TaskErredEvent, TransferEvent, WorkerSampleEvent } from "../diagnostics/channels.js";
import type { CallTree } from "../protocol/profile.js";
import { FLAME_SCRIPT } from "./flame-script.js";
import type { GroupTotals, Recorder } from "./recorder.js";
import type { StreamEntry } from "./task-stream.js";

export interface ReportData {
  readonly title: string;
  readonly startedAt: number;
  readonly stoppedAt: number;
  readonly tasks: readonly StreamEntry[];
  readonly groups: Record<string, GroupTotals>;
  readonly transfers: {
    readonly count: number;
    readonly bytes: number;
    readonly seconds: number;
    readonly list: readonly TransferEvent[];
  };
  readonly samples: Record<string, readonly [number, number, number, number][]>;
  readonly erred: readonly { key: string; group: string; worker: string; message: string }[];
  /** Per task group, most samples first (empty when the profiler was off). */
  readonly profile: readonly { group: string; samples: number; tree: CallTree }[];
}

/** Task groups that get a flame graph in the report (the rest are in the data). */
const REPORT_FLAME_GROUPS = 12;

export function reportData(recorder: Recorder, title: string, stoppedAt: number): ReportData {
  const t = recorder.transfers;
  const samples: Record<string, [number, number, number, number][]> = {};
  for (const [w, list] of recorder.samples) {
    samples[w] = list.map((s: WorkerSampleEvent) => [s.time, s.heap, s.rss, s.cpu]);
  }
  return {
    title,
    startedAt: recorder.startedAt,
    stoppedAt,
    tasks: recorder.tasks.entries(),
    groups: Object.fromEntries(recorder.groups),
    transfers: {
      count: t.length,
      bytes: t.reduce((a, e) => a + e.nbytes, 0),
      seconds: t.reduce((a, e) => a + (e.stop - e.start) / 1000, 0),
      list: t.slice(-2000),
    },
    samples,
    erred: recorder.erred.map((e: TaskErredEvent) => ({
      key: e.key,
      group: e.group,
      worker: e.worker,
      message: e.error.message,
    })),
    profile: [...recorder.profiles]
      .map(([group, p]) => ({ group, samples: p.samples, tree: p.tree }))
      .sort((a, b) => b.samples - a.samples),
  };
}

const SCRIPT = `${FLAME_SCRIPT}
const R=window.__report;const $=id=>document.getElementById(id);
function color(g){let h=7;for(const ch of g)h=(h*31+ch.charCodeAt(0))>>>0;return 'hsl('+(h%360)+',62%,52%)'}
function mb(b){return (b/2**20).toFixed(1)+' MiB'}
function esc(s){return String(s).replace(/[&<>"]/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]))}
function canvas(id,h){const c=$(id);const r=window.devicePixelRatio||1;const w=c.clientWidth||900;c.width=w*r;c.height=h*r;c.style.height=h+'px';const x=c.getContext('2d');x.scale(r,r);x.fillStyle='#fff';x.fillRect(0,0,w,h);return [x,w]}
const workers=[...new Set(R.tasks.map(t=>t.worker))].sort();
const t0=Math.min(R.startedAt,...R.tasks.map(t=>t.start));const t1=Math.max(R.stoppedAt,...R.tasks.map(t=>t.stop));const span=Math.max(1,t1-t0);
(function stream(){const lanes=new Map();let n=0;const busy=new Map();
  const sorted=R.tasks.slice().sort((a,b)=>a.start-b.start);const sub=new Map();
  for(const t of sorted){let b=busy.get(t.worker);if(!b)busy.set(t.worker,b=[]);let k=b.findIndex(s=>s<=t.start);if(k<0){k=b.length}b[k]=t.stop;sub.set(t,k)}
  for(const w of workers){lanes.set(w,n);n+=Math.max(1,(busy.get(w)||[]).length)}
  const H=16;const [x,W]=canvas('stream',n*H+20);
  for(const t of sorted){const x0=(t.start-t0)/span*W;x.fillStyle=color(t.group);x.fillRect(x0,(lanes.get(t.worker)+sub.get(t))*H+1,Math.max(1,(t.stop-t.start)/span*W),H-2)}
  x.fillStyle='#777';x.font='10px system-ui';for(let i=0;i<=5;i++)x.fillText((i*span/5000).toFixed(2)+'s',Math.min(i*W/5+2,W-40),n*H+14);
  R.drawnTasks=sorted.length})();
(function memory(){const [x,W]=canvas('memory',160);let max=1;for(const l of Object.values(R.samples))for(const p of l)max=Math.max(max,p[1]);let i=0;R.memoryPoints=0;
  for(const [w,l] of Object.entries(R.samples)){x.strokeStyle='hsl('+(i++*67%360)+',60%,45%)';x.beginPath();l.forEach((p,j)=>{const px=(p[0]-t0)/span*W,py=155-p[1]/max*140;j?x.lineTo(px,py):x.moveTo(px,py);R.memoryPoints++});x.stroke()}
  x.fillStyle='#777';x.font='10px system-ui';x.fillText('heap per worker, max '+mb(max),4,10)})();
$('groups').innerHTML='<tr><th>task group</th><th>tasks</th><th>erred</th><th>total time</th><th>mean</th><th>result bytes</th></tr>'+Object.entries(R.groups).sort((a,b)=>b[1].ms-a[1].ms).map(([g,v])=>'<tr data-group="'+esc(g)+'"><td><span style="color:'+color(g)+'">■</span> '+esc(g)+'</td><td class="finished">'+v.finished+'</td><td>'+v.erred+'</td><td>'+(v.ms/1000).toFixed(3)+' s</td><td>'+(v.finished?(v.ms/v.finished).toFixed(2)+' ms':'')+'</td><td>'+mb(v.nbytes)+'</td></tr>').join('');
$('summary').textContent=R.tasks.length+' tasks on '+workers.length+' workers in '+(span/1000).toFixed(2)+' s; '+R.transfers.count+' transfers, '+mb(R.transfers.bytes)+' in '+R.transfers.seconds.toFixed(3)+' s';
R.flameFrames=0;$('profile').innerHTML=R.profile.length?R.profile.slice(0,${REPORT_FLAME_GROUPS}).map((p,i)=>'<h3>'+esc(p.group)+' ('+p.samples+' samples, '+p.tree.total.toFixed(0)+' ms)</h3><canvas class="flame" id="flame-'+i+'"></canvas>').join(''):'<i>the profiler was off</i>';
R.profile.slice(0,${REPORT_FLAME_GROUPS}).forEach((p,i)=>{R.flameFrames+=drawFlame($('flame-'+i),p.tree)});
$('erred').innerHTML=R.erred.length?R.erred.map(e=>'<div>'+esc(e.key)+' on '+esc(e.worker)+': '+esc(e.message)+'</div>').join(''):'<i>none</i>';
`;

/** The report's HTML. The JSON is escaped so no string in it can close the script element. */
export function reportHtml(data: ReportData): string {
  const json = JSON.stringify(data).replace(/</g, "\\u003c");
  const title = data.title.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<style>body{font:13px system-ui,sans-serif;margin:16px;color:#222}canvas{width:100%;display:block;border:1px solid #ddd}
table{border-collapse:collapse}td,th{padding:2px 8px;text-align:right;border-bottom:1px solid #eee}td:first-child,th:first-child{text-align:left}h2{font-size:14px;margin:18px 0 6px}h3{font-size:12px;margin:10px 0 4px;color:#555}</style></head>
<body><h1>${title}</h1><p id="summary"></p>
<h2>Task stream (a lane per worker thread, coloured by task group)</h2><canvas id="stream"></canvas>
<h2>Durations by task group</h2><table id="groups"></table>
<h2>Worker memory over time</h2><canvas id="memory"></canvas>
<h2>Profile (CPU time of task execution per task group; hover a frame for its time)</h2><div id="profile"></div>
<h2>Erred tasks</h2><div id="erred"></div>
<script>window.__report=${json};</script><script>${SCRIPT}</script></body></html>`;
}
