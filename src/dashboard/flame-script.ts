/**
 * The flame graph, as a script string shared by the dashboard page and the performance report
 * (no framework, one canvas): `drawFlame(canvas, tree)` draws a call tree (protocol/profile.ts)
 * root at the top, each function as wide as its total time, children below their caller, and
 * names the frame under the pointer in the canvas's title. Returns how many frames it drew.
 */
export const FLAME_SCRIPT = `
function flameColor(n){if(n==='(other)'||n==='(root)')return '#c8c8c8';let h=7;for(const ch of n)h=(h*31+ch.charCodeAt(0))>>>0;return 'hsl('+(8+h%42)+','+(62+h%28)+'%,'+(56+h%14)+'%)'}
function flameLabel(n){if(!n.file)return n.name;const p=n.file.replace(/^file:\\/\\//,'').split('/');return n.name+' ('+p.slice(-2).join('/')+':'+n.line+')'}
function drawFlame(c,tree){
  const rowH=17,maxDepth=48;let depth=0;
  (function d(n,l){if(l>depth)depth=l;if(l<maxDepth)for(const k of n.children)d(k,l+1)})(tree,0);
  const r=window.devicePixelRatio||1;const W=c.clientWidth||900;const H=(depth+1)*rowH+4;
  c.width=W*r;c.height=H*r;c.style.height=H+'px';const x=c.getContext('2d');x.scale(r,r);
  x.fillStyle='#fff';x.fillRect(0,0,W,H);x.font='11px system-ui,sans-serif';x.textBaseline='middle';
  const rects=[];const all=Math.max(1e-9,tree.total);
  (function draw(n,x0,w,l){if(w<0.4||l>maxDepth)return;const y=l*rowH;
    x.fillStyle=flameColor(n.name);x.fillRect(x0,y,Math.max(0.5,w-0.5),rowH-1);
    if(w>36){x.fillStyle='#222';let s=flameLabel(n);const fit=Math.floor((w-6)/6.2);if(s.length>fit)s=s.slice(0,Math.max(1,fit-1))+'…';x.fillText(s,x0+3,y+rowH/2)}
    rects.push([x0,y,w,n]);let cx=x0;const tot=Math.max(1e-9,n.total);
    for(const k of n.children){const kw=k.total/tot*w;draw(k,cx,kw,l+1);cx+=kw}})(tree,0,W,0);
  c.onmousemove=e=>{const b=c.getBoundingClientRect();const px=e.clientX-b.left,py=e.clientY-b.top;
    const hit=rects.find(q=>px>=q[0]&&px<q[0]+q[2]&&py>=q[1]&&py<q[1]+rowH);
    c.title=hit?flameLabel(hit[3])+': '+hit[3].total.toFixed(1)+' ms ('+(100*hit[3].total/all).toFixed(1)+'%), self '+hit[3].self.toFixed(1)+' ms':''};
  return rects.length;
}
`;
