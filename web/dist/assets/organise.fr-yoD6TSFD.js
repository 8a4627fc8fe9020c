const a={};export{a as default};
