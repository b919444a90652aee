import usearch from 'usearch';
const d=512, n=65536, q=1000;
const a=new Float32Array(n*d).map(()=>Math.random()-0.5), b=new Float32Array(q*d).map(()=>Math.random()-0.5);
let t=performance.now(); usearch.exactSearch(a,b,d,10,'cos',0); const dt=(performance.now()-t)/1000;
console.log('exact', dt, 's', (2*n*q*d/dt/1e9).toFixed(1),'GFlop/s');
const idx=new usearch.Index({dimensions:d,metric:'cos',quantization:'f16',connectivity:16,expansion_add:128,expansion_search:64,multi:false});
const keys=new BigUint64Array(n); for(let i=0;i<n;i++) keys[i]=BigInt(i);
t=performance.now(); idx.add(keys,a,0); console.log('add', (performance.now()-t)/1000, 's for', n);
t=performance.now(); idx.search(a.subarray(0,8192*d),17,0); console.log('search 8192', (performance.now()-t)/1000);
