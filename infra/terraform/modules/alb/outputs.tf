output "alb_arn" {
  description = "ARN of the load balancer."
  value       = aws_lb.this.arn
}

output "alb_arn_suffix" {
  description = "ARN suffix of the load balancer (app/NAME/ID): the LoadBalancer dimension of its CloudWatch metrics."
  value       = aws_lb.this.arn_suffix
}

output "dns_name" {
  description = "DNS name of the load balancer, for an alias record."
  value       = aws_lb.this.dns_name
}

output "zone_id" {
  description = "Route 53 hosted zone ID of the load balancer, for an alias record."
  value       = aws_lb.this.zone_id
}

output "security_group_id" {
  description = "ID of the load balancer's security group: the only source the service's security group admits on the app port."
  value       = aws_security_group.alb.id
}

output "https_listener_arn" {
  description = "ARN of the HTTPS listener on port 443 (the production listener CodeDeploy shifts in blue/green)."
  value       = one(concat(aws_lb_listener.https[*].arn, aws_lb_listener.https_blue_green[*].arn))
}

output "test_listener_arn" {
  description = "ARN of the blue/green test listener on test_listener_port; null without blue/green."
  value       = one(aws_lb_listener.test[*].arn)
}

output "target_group_arn" {
  description = "ARN of the primary (blue) target group, the one the ECS service registers its tasks in."
  value       = aws_lb_target_group.this["blue"].arn
}

output "target_group_arn_suffix" {
  description = "ARN suffix of the primary (blue) target group (targetgroup/NAME/ID): the TargetGroup dimension of its CloudWatch metrics."
  value       = aws_lb_target_group.this["blue"].arn_suffix
}

output "target_group_name" {
  description = "Name of the primary (blue) target group, as CodeDeploy refers to it."
  value       = aws_lb_target_group.this["blue"].name
}

output "green_target_group_name" {
  description = "Name of the green target group; null without blue/green."
  value       = var.enable_blue_green ? aws_lb_target_group.this["green"].name : null
}

output "green_target_group_arn_suffix" {
  description = "ARN suffix of the green target group, for alarms that must watch whichever target group is live; null without blue/green."
  value       = var.enable_blue_green ? aws_lb_target_group.this["green"].arn_suffix : null
}

output "access_logs_bucket" {
  description = "Name of the S3 bucket that holds the access logs (under AWSLogs/ACCOUNT/elasticloadbalancing/)."
  value       = aws_s3_bucket.access_logs.id
}

output "web_acl_arn" {
  description = "ARN of the WAF web ACL associated with the load balancer; null when enable_waf is false."
  value       = one(aws_wafv2_web_acl.this[*].arn)
}

output "waf_log_group_name" {
  description = "Name of the CloudWatch log group with the WAF logs; null when enable_waf is false."
  value       = one(aws_cloudwatch_log_group.waf[*].name)
}

output "health_check" {
  description = "The target group's health check as configured: path, port and matcher."
  value = {
    path    = aws_lb_target_group.this["blue"].health_check[0].path
    port    = aws_lb_target_group.this["blue"].health_check[0].port
    matcher = aws_lb_target_group.this["blue"].health_check[0].matcher
  }
}

output "target_port" {
  description = "The port the target groups send requests to: the service's app port."
  value       = aws_lb_target_group.this["blue"].port
}

output "egress_port_ranges" {
  description = "The port ranges the load balancer's security group lets it reach (the app port only)."
  value       = [{ from = aws_vpc_security_group_egress_rule.app.from_port, to = aws_vpc_security_group_egress_rule.app.to_port }]
}

output "deletion_protection" {
  description = "Whether the load balancer is protected from deletion."
  value       = aws_lb.this.enable_deletion_protection
}
