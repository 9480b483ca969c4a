/**
 * The dashboard page: one HTML document with its CSS and script inline (no framework, no
 * network beyond its own WebSocket), shipped as a string so `npm run build` carries it in
 * dist. It keeps its own history (the task stream's bars, memory over time) from the updates
 * it gets and draws a chart again only when it got something new; `window.__barn` exposes what
 * it received, for tests and for curious users. The profile and graph views are fetched apart
 * (views.ts), when an update says they moved and while on screen, and drawn by
 * flame-script.ts and graph-script.ts.
 */
import { FLAME_SCRIPT } from "./flame-script.js";
import { GRAPH_SCRIPT } from "./graph-script.js";

const STYLE = `
body{font:13px system-ui,sans-serif;margin:0;background:#fafafa;color:#222}
header{display:flex;gap:18px;align-items:baseline;padding:8px 14px;background:#1f2a36;color:#eee}
header h1{font-size:15px;margin:0}
header .n b{font-size:15px;color:#fff}
main{display:grid;grid-template-columns:minmax(0,2fr) minmax(0,1fr);gap:12px;padding:12px}
section{background:#fff;border:1px solid #ddd;border-radius:4px;padding:8px}
section h2{font-size:13px;margin:0 0 6px;color:#555}
.wide{grid-column:1/3}
canvas{width:100%;display:block}
.g{display:grid;grid-template-columns:140px 1fr 170px;gap:6px;align-items:center;margin:2px 0}
.g .bar{height:12px;background:#eee;position:relative;overflow:hidden;border-radius:2px}
.g .bar span{position:absolute;top:0;bottom:0}
table{border-collapse:collapse;width:100%}td,th{padding:2px 6px;text-align:right;border-bottom:1px solid #eee}
td:first-child,th:first-child{text-align:left}
pre{font-size:11px;overflow:auto;max-height:160px;background:#f4f4f4;padding:4px}
#status{margin-left:auto;font-size:12px}
.bar-tools{display:flex;gap:10px;align-items:center;margin-bottom:6px}
`;

/**
 * The profile and graph views: fetched only when an update says they moved (the profile's
 * version, the live tasks and their states), at most every 1.5 s, and only while their section
 * is on screen (a view scrolled into sight is brought up to date at once). A fetch that failed
 * is tried again after the next update (`window.__barn.viewsError` says why).
 */
const VIEWS_SCRIPT = `
S.profileVersion=-1;S.profile=null;S.flameFrames=0;S.graphNodes=0;S.graph=null;S.profiling=null;
S.viewsAt=0;S.viewsBusy=false;S.graphKey='';S.seen=new Set();
function applyProfile(p){
  S.profiling=p.profiling;$('prof-toggle').textContent=p.profiling?'Turn the profiler off':'Turn the profiler on';
  $('prof-state').textContent=p.profiling?'on: a sample every '+(p.profiling.intervalUs/1000)+' ms on every worker thread':'off';
  if(p.unchanged)return;S.profileVersion=p.version;S.profile=p.groups;
  const sel=$('prof-group');const cur=sel.value;
  sel.innerHTML=p.groups.map(g=>'<option value="'+esc(g.group)+'">'+esc(g.group)+' ('+g.samples+' samples)</option>').join('');
  if(cur&&p.groups.some(g=>g.group===cur))sel.value=cur;drawProfile();
}
function drawProfile(){
  const list=S.profile||[];const g=list.find(x=>x.group===$('prof-group').value)||list[0];
  if(!g){S.flameFrames=0;$('flame').style.height='0px';$('prof-empty').style.display='';return}
  $('prof-empty').style.display='none';S.flameGroup=g.group;S.flameFrames=drawFlame($('flame'),g.tree);
}
async function getJson(url,init){return (await fetch(url,init)).json()}
async function refreshViews(){
  const u=S.last;if(!u||S.viewsBusy||Date.now()-S.viewsAt<1500)return;
  const v=u.views;S.viewsBusy=true;S.viewsAt=Date.now();
  try{
    if(S.seen.has('profile-view')&&(v.profileVersion!==S.profileVersion||v.profiling!==(S.profiling!==null)))
      applyProfile(await getJson('/api/profile?v='+S.profileVersion));
    if(S.seen.has('graph-view')){
      const key=v.live>v.limit?'large '+v.live:JSON.stringify(u.counts)+' '+u.counters.tasksFinished+' '+v.live;
      if(key!==S.graphKey){
        S.graph=v.live>v.limit?{tasks:v.live,tooLarge:true,limit:v.limit}:await getJson('/api/graph');S.graphNodes=drawGraph($('graph'),S.graph);S.graphKey=key}}
    S.viewsError=null;
  }catch(e){S.viewsError=String(e)}finally{S.viewsBusy=false}
}
const seeing=new IntersectionObserver(es=>{for(const e of es){if(e.isIntersecting)S.seen.add(e.target.id);else S.seen.delete(e.target.id)}S.viewsAt=0;refreshViews()});
seeing.observe($('profile-view'));seeing.observe($('graph-view'));
$('prof-group').onchange=drawProfile;
$('prof-toggle').onclick=async()=>{S.profileVersion=-1;applyProfile(await getJson('/api/profile',{method:'POST',headers:{'x-barn':'1'},body:S.profiling?'off':'on'}))};
window.addEventListener('resize',()=>{drawProfile();if(S.graph)drawGraph($('graph'),S.graph)});
`;

const SCRIPT = `
const S={bars:[],heap:new Map(),updates:0,last:null,colors:new Map(),streamDirty:true,memoryDirty:true};
window.__barn=S;
const $=id=>document.getElementById(id);
function color(g){let c=S.colors.get(g);if(!c){let h=7;for(const ch of g)h=(h*31+ch.charCodeAt(0))>>>0;c='hsl('+(h%360)+',62%,52%)';S.colors.set(g,c)}return c}
function mb(b){return b==null?'':(b/2**20).toFixed(1)+' MiB'}
function esc(s){return String(s).replace(/[&<>"]/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]))}
function connect(){
  const ws=new WebSocket((location.protocol==='https:'?'wss://':'ws://')+location.host+'/ws');
  ws.onopen=()=>{$('status').textContent='live'};
  ws.onmessage=e=>apply(JSON.parse(e.data));
  ws.onclose=()=>{$('status').textContent='disconnected, retrying';setTimeout(connect,2000)};
}
// The stream and memory charts are drawn again only when they got something new (a page
// left open on an idle cluster draws nothing); the views are asked for after an update.
function apply(u){
  S.updates++;S.last=u;
  const c=u.stream;S.skipped=(S.skipped||0)+c.skipped;S.streamTasks=(S.streamTasks||0)+c.tasks;
  for(let i=0;i<c.worker.length;i++){const s=c.t0+c.start[i];S.bars.push({worker:c.workers[c.worker[i]],lane:c.lane[i],group:c.groups[c.group[i]],start:s,stop:s+c.duration[i],count:c.count[i]})}
  if(S.bars.length>10000)S.bars.splice(0,S.bars.length-10000);
  const lanes=u.workers.map(w=>w.id+':'+w.nthreads).join(' ');const moved=u.transfers.length+':'+(u.transfers.length?u.transfers[0].stop:0);
  if(c.worker.length>0||lanes!==S.lanesKey||moved!==S.transfersKey){S.streamDirty=true;S.lanesKey=lanes;S.transfersKey=moved}
  for(const w of u.workers){if(w.sampled==null)continue;let l=S.heap.get(w.id);if(!l)S.heap.set(w.id,l=[]);
    if(l.length===0||l[l.length-1][0]!==w.sampled){l.push([w.sampled,w.heap,w.cpu]);S.memoryDirty=true}if(l.length>600)l.shift()}
  schedule();refreshViews();
}
// Drawing waits for the next frame (so a burst of updates draws once) and for the page to be
// seen: a hidden tab draws nothing until it is shown again.
function schedule(){if(S.frame||document.hidden)return;S.frame=requestAnimationFrame(()=>{S.frame=0;S.draws=(S.draws||0)+1;render(S.last)})}
document.addEventListener('visibilitychange',()=>{if(!document.hidden&&S.last)schedule()});
/** Sets an element's HTML only when it changed (no relayout for an unchanged table). */
function html(id,s){const e=$(id);if(e.__html!==s){e.__html=s;e.innerHTML=s}}
function setText(e,s){s=String(s);if(e.textContent!==s)e.textContent=s}
function text(id,s){setText($(id),s)}
// The backing store is resized only when the size changed (a resize reallocates it).
function setupCanvas(c,h){const r=window.devicePixelRatio||1;const w=c.clientWidth||800;const cw=Math.round(w*r),ch=Math.round(h*r);
  if(c.width!==cw||c.height!==ch){c.width=cw;c.height=ch;c.style.height=h+'px'}const x=c.getContext('2d');x.setTransform(r,0,0,r,0,0);return [x,w]}
function drawStream(u){
  const lanes=new Map();let n=0;
  for(const w of u.workers.slice().sort((a,b)=>a.id<b.id?-1:1)){const k=Math.max(1,Math.min(8,w.nthreads||1));lanes.set(w.id,[n,k]);n+=k}
  const end=Math.max(u.time,S.bars.length?S.bars[S.bars.length-1].stop:0);
  const first=S.bars.length?S.bars[0].start:end;const span=Math.max(5000,Math.min(60000,end-first+500));const start=end-span;
  const laneH=16,top=4;const [x,W]=setupCanvas($('stream'),top+Math.max(1,n)*laneH+18);
  x.fillStyle='#fff';x.fillRect(0,0,W,top+n*laneH+18);
  x.font='10px system-ui';x.fillStyle='#999';
  for(let i=0;i<=6;i++){const t=start+i*span/6;const px=i*W/6;x.fillRect(px,top,1,n*laneH);x.fillText(((t-end)/1000).toFixed(1)+'s',Math.min(px+2,W-30),top+n*laneH+12)}
  // Bars of one colour that touch on one lane are drawn as one rectangle (bars of successive
  // updates continue each other).
  let drawn=0,rects=0;const open=new Map();
  const flush=(lane,r)=>{x.fillStyle=r.c;x.fillRect(r.x0,top+lane*laneH+1,r.x1-r.x0,laneH-2);rects++};
  for(const t of S.bars){if(t.stop<start)continue;const l=lanes.get(t.worker);if(l===undefined)continue;
    const c=color(t.group),lane=l[0]+Math.min(t.lane,l[1]-1);drawn+=t.count;
    const x0=(t.start-start)/span*W,x1=Math.max(x0+1,(t.stop-start)/span*W);const r=open.get(lane);
    if(r&&r.c===c&&x0<=r.x1+0.5&&x0>=r.x0){r.x1=Math.max(r.x1,x1);continue}
    if(r)flush(lane,r);open.set(lane,{c,x0,x1})}
  for(const [lane,r] of open)flush(lane,r);
  S.drawnTasks=drawn;S.drawnRects=rects;
  // Transfers: a red line along the top of the receiving worker's lanes.
  x.fillStyle='#d22';S.drawnTransfers=0;
  for(const t of u.transfers){if(t.stop<start)continue;const l=lanes.get(t.worker);if(l===undefined)continue;
    const x0=(t.start-start)/span*W;x.fillRect(x0,top+l[0]*laneH,Math.max(2,(t.stop-t.start)/span*W),3);S.drawnTransfers++}
}
function drawMemory(){
  const [x,W]=setupCanvas($('memory'),150);x.fillStyle='#fff';x.fillRect(0,0,W,150);
  let max=1,t1=0,tf=Infinity;for(const l of S.heap.values())for(const p of l){max=Math.max(max,p[1]);t1=Math.max(t1,p[0]);tf=Math.min(tf,p[0])}
  const t0=Math.max(tf,t1-300000),span=Math.max(1000,t1-t0);let i=0;S.memoryPoints=0;
  for(const [w,l] of S.heap){x.strokeStyle='hsl('+(i++*67%360)+',60%,45%)';x.lineWidth=1.5;x.beginPath();let first=true;
    for(const p of l){if(p[0]<t0)continue;const px=(p[0]-t0)/span*(W-4)+2,py=145-p[1]/max*125;if(first){x.moveTo(px,py);first=false}else x.lineTo(px,py);S.memoryPoints++}x.stroke()}
  x.fillStyle='#777';x.font='10px system-ui';x.fillText('heap per worker, max '+mb(max)+', last '+Math.round(span/1000)+' s',4,10);
}
// The progress rows and the workers' table are kept, a row per group and per worker, and only
// what changed in them is set: rewriting them every update made the browser lay out and paint
// them again each time.
function keyed(box,rows,items,id,make){
  const seen=new Set();let prev=box.firstElementChild&&box.firstElementChild.dataset.head?box.firstElementChild:null;
  for(const it of items){const k=id(it);let r=rows.get(k);if(!r){r=make(it);rows.set(k,r)}seen.add(k);
    const want=prev?prev.nextElementSibling:box.firstElementChild;if(r.e!==want)box.insertBefore(r.e,want);prev=r.e;r.set(it)}
  for(const [k,r] of rows)if(!seen.has(k)){r.e.remove();rows.delete(k)}
}
S.groupRows=new Map();S.workerRows=new Map();
function drawGroups(groups){
  keyed($('groups'),S.groupRows,groups,g=>g.name,g=>{const e=document.createElement('div');e.className='g';e.dataset.group=g.name;const c=color(g.name);
    e.innerHTML='<span>'+esc(g.name||'(none)')+'</span><div class="bar"><span style="left:0;background:'+c+'"></span><span style="background:'+c+';opacity:.4"></span><span style="background:#c00"></span></div><span></span>';
    const b=e.children[1].children,label=e.children[2];let last='';
    return {e,set(g){const key=g.done+' '+g.processing+' '+g.waiting+' '+g.erred;if(key===last)return;last=key;
      const tot=Math.max(1,g.done+g.processing+g.waiting+g.erred);const p=v=>(100*v/tot).toFixed(2)+'%';
      b[0].style.width=p(g.done);b[1].style.left=p(g.done);b[1].style.width=p(g.processing);b[2].style.left=p(g.done+g.processing);b[2].style.width=p(g.erred);
      setText(label,g.done+' done, '+g.processing+' running, '+g.waiting+' waiting'+(g.erred?', '+g.erred+' erred':''))}}});
}
function drawWorkers(workers){
  const t=$('workers');if(!t.firstElementChild)t.innerHTML='<tr data-head="1"><th>worker</th><th>threads</th><th>processing</th><th>keys</th><th>stored</th><th>heap</th><th>rss</th><th>cpu</th></tr>';
  const body=t.tBodies[0];
  keyed(body,S.workerRows,workers,w=>w.id,w=>{const e=document.createElement('tr');e.innerHTML='<td></td>'.repeat(8);e.firstChild.title=w.id;
    return {e,set(w){const v=[w.name,w.nthreads,w.processing,w.keys,mb(w.nbytes),mb(w.heap),w.rss?mb(w.rss):'',w.cpu==null?'':Math.round(w.cpu*100)+'%'];
      for(let i=0;i<8;i++)setText(e.children[i],v[i])}}});
}
function render(u){
  const c=u.counts;
  text('n-workers',u.workers.length);text('n-processing',c.processing||0);
  text('n-queued',(c.queued||0)+(c.waiting||0)+(c['no-worker']||0));text('n-memory',c.memory||0);
  text('n-erred',c.erred||0);text('n-finished',u.counters.tasksFinished);
  text('n-transfers',u.counters.transfers+' ('+mb(u.counters.transferBytes)+')');
  if(S.streamDirty){S.streamDirty=false;S.streamDraws=(S.streamDraws||0)+1;drawStream(u)}
  if(S.memoryDirty){S.memoryDirty=false;drawMemory()}
  drawGroups(u.groups);drawWorkers(u.workers);
  html('erred',u.erred.length===0?'<i>none</i>':u.erred.slice().reverse().map(e=>'<details><summary>'+esc(e.key)+' on '+esc(e.worker)+': '+esc(e.message)+'</summary><pre>'+esc(e.stack)+'</pre><a target="_blank" href="/api/story?key='+encodeURIComponent(e.key)+'">story</a></details>').join(''));
}
window.addEventListener('resize',()=>{S.streamDirty=S.memoryDirty=true;if(S.last)schedule()});
connect();
`;

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Barn dashboard</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>${STYLE}</style></head>
<body><header><h1>Barn</h1>
<span class="n">workers <b id="n-workers">0</b></span><span class="n">processing <b id="n-processing">0</b></span>
<span class="n">queued <b id="n-queued">0</b></span><span class="n">in memory <b id="n-memory">0</b></span>
<span class="n">erred <b id="n-erred">0</b></span><span class="n">finished <b id="n-finished">0</b></span>
<span class="n">transfers <b id="n-transfers">0</b></span><span id="status">connecting</span></header>
<main>
<section class="wide"><h2>Task stream (a lane per worker thread, coloured by task group; transfers in red)</h2><canvas id="stream"></canvas></section>
<section><h2>Progress by task group</h2><div id="groups"></div></section>
<section><h2>Worker memory</h2><canvas id="memory"></canvas></section>
<section class="wide"><h2>Workers</h2><table id="workers"></table></section>
<section class="wide"><h2>Erred tasks</h2><div id="erred"></div></section>
<section class="wide" id="graph-view"><h2>Task graph (live tasks by depth, coloured by state)</h2><canvas id="graph"></canvas></section>
<section class="wide" id="profile-view"><h2>Profile (CPU time of task execution, merged per task group)</h2>
<div class="bar-tools"><select id="prof-group"></select><button id="prof-toggle">Turn the profiler on</button><span id="prof-state"></span></div>
<p id="prof-empty"><i>no samples yet: turn the profiler on (or connect with profile: true, barn scheduler --profile) and run some tasks</i></p>
<canvas id="flame"></canvas></section>
</main><script>${SCRIPT}${FLAME_SCRIPT}${GRAPH_SCRIPT}${VIEWS_SCRIPT}</script></body></html>`;

/** The login page of a dashboard with a token; `note` says why it is shown again. */
export function loginPage(note: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Barn dashboard: log in</title>
<style>body{font:14px system-ui,sans-serif;max-width:420px;margin:80px auto}input{font:inherit;width:100%;margin:6px 0;padding:4px}</style></head>
<body><h1>Barn dashboard</h1><p>This scheduler requires its token.</p>
${note === "" ? "" : `<p style="color:#b00">${note}</p>`}
<form method="post" action="/login"><label>Token <input type="password" name="token" autocomplete="current-password" autofocus></label>
<button type="submit">Log in</button></form></body></html>`;
}
