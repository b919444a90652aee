import usearch from 'usearch';
const d=512, n=8192;
const a=new Float32Array(n*d).map(()=>Math.random()-0.5);
const keys=new BigUint64Array(n); for(let i=0;i<n;i++) keys[i]=BigInt(i);
for (const [qz, M, ea] of [['f32',16,128],['f16',16,128],['i8',16,128],['f32',16,40],['i8',8,40]]) {
  const idx=new usearch.Index({dimensions:d,metric:'cos',quantization:qz,connectivity:M,expansion_add:ea,expansion_search:64,multi:false});
  let t=performance.now(); idx.add(keys,a,0); const add=(performance.now()-t)/1000;
  t=performance.now(); idx.search(a.subarray(0,2048*d),17,0); const s=(performance.now()-t)/1000;
  console.log(qz,M,ea,'add/s',(n/add).toFixed(0),'search/s',(2048/s).toFixed(0));
}
let t=performance.now(); usearch.exactSearch(a,a.subarray(0,1024*d),d,10,'cos',0); const dt=(performance.now()-t)/1000;
console.log('exact GFlop/s', (2*n*1024*d/dt/1e9).toFixed(1));
t=performance.now(); let s=0; for (let i=0;i<1024;i++) for(let j=0;j<n;j+=1){let x=0; const o=i*d,p=j*d; for(let k=0;k<d;k++) x+=a[o+k]*a[p+k]; s+=x;} 
console.log('js GFlop/s', (2*n*1024*d/((performance.now()-t)/1000)/1e9).toFixed(2));
