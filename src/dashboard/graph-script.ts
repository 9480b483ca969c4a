/**
 * The graph view's drawing, as a script string for the dashboard page: `drawGraph(canvas,
 * view)` draws the layout of views.ts (tasks in columns by topological depth, edges from
 * dependency to dependent, nodes coloured by state) or, above the view's limit, says why there
 * is no drawing. Returns the number of nodes drawn.
 */
export const GRAPH_SCRIPT = `
const STATE_COLORS={released:'#ddd',waiting:'#b8b8b8',queued:'#9aa7b8','no-worker':'#e59ab0',processing:'#f0a830',memory:'#2fa35a',erred:'#d33'};
function drawGraph(c,g){
  const r=window.devicePixelRatio||1;const W=c.clientWidth||900;
  if(g.tooLarge||g.nodes.length===0){const H=40;c.width=W*r;c.height=H*r;c.style.height=H+'px';const x=c.getContext('2d');x.scale(r,r);
    x.fillStyle='#fff';x.fillRect(0,0,W,H);x.fillStyle='#666';x.font='12px system-ui,sans-serif';
    x.fillText(g.tooLarge?g.tasks+' live tasks: the graph view draws computations of up to '+g.limit+' tasks':'no live tasks',8,24);return 0}
  const rowH=Math.max(5,Math.min(22,560/Math.max(1,g.rows)));const H=Math.max(60,g.rows*rowH+34);
  c.width=W*r;c.height=H*r;c.style.height=H+'px';const x=c.getContext('2d');x.scale(r,r);x.fillStyle='#fff';x.fillRect(0,0,W,H);
  const colW=(W-30)/Math.max(1,g.layers);const rad=Math.max(2,Math.min(7,rowH/2-1,colW/4));
  const px=n=>15+colW*(n.layer+0.5),py=n=>8+rowH*(n.row+0.5);
  x.strokeStyle='rgba(120,120,120,.45)';x.lineWidth=1;x.beginPath();
  for(const [a,b] of g.edges){const na=g.nodes[a],nb=g.nodes[b];x.moveTo(px(na),py(na));x.lineTo(px(nb),py(nb))}x.stroke();
  for(const n of g.nodes){x.fillStyle=STATE_COLORS[n.state]||'#888';x.beginPath();x.arc(px(n),py(n),rad,0,6.2832);x.fill()}
  let lx=8;x.font='11px system-ui,sans-serif';for(const [s,col] of Object.entries(STATE_COLORS)){x.fillStyle=col;x.fillRect(lx,H-16,10,10);x.fillStyle='#444';x.fillText(s,lx+13,H-7);lx+=x.measureText(s).width+28}
  c.onmousemove=e=>{const b=c.getBoundingClientRect();const mx=e.clientX-b.left,my=e.clientY-b.top;
    const hit=g.nodes.find(n=>Math.abs(px(n)-mx)<=rad+1&&Math.abs(py(n)-my)<=rad+1);c.title=hit?hit.key+' ('+hit.group+'): '+hit.state:''};
  return g.nodes.length;
}
`;
