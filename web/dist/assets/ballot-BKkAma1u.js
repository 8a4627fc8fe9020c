import{p as a,t as l,h as e}from"./index-DxDA78Ep.js";const p=t=>{t.append(a(l("ballot.title")),e("p",{class:"muted"},l("ballot.unavailable")))};export{p as ballot};
