package collect

// tools is every Tool, one per kind. A new tool is a file of this package
// with its Tool and a line here.
var tools = [...]Tool{
	harvestTool{},
	floatTool{},
	runnTool{},
	forecastTool{},
	togglTool{},
	clockifyTool{},
}
