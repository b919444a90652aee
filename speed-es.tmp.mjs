import usearch from 'usearch';
const n=100000, d=512;
const data=new Float32Array(n*d); for(let i=0;i<data.length;i++) data[i]=Math.random()-0.5;
const q=new Float32Array(d); for(let i=0;i<d;i++) q[i]=Math.random()-0.5;
for (const metric of ['ip','cos']) for (const threads of [1,2,0]) {
  const ts=[]; for(let r=0;r<7;r++){const t=performance.now(); const m=usearch.exactSearch(data,q,d,10,metric,threads); ts.push(performance.now()-t);} ts.sort((a,b)=>a-b); console.log(metric,threads,ts[3].toFixed(1),'ms');
}
