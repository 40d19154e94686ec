export  function   shout(text){
	return text.toUpperCase( )+"!"   
}
// TODO: whisper()   


