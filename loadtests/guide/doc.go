// Package guide checks that the scaling guide's load-testing lines keep
// working against our endpoints: `ab -n 10000 -c 100 .../health/ready`
// (run for real when ab is installed). There is no Go code here.
package guide
