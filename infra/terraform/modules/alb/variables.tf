variable "name" {
  description = "Prefix for every resource name, for example \"hello-service-dev\". It is also the load balancer's name."
  type        = string
  nullable    = false

  validation {
    # A load balancer name is limited to 32 characters of letters, digits and
    # hyphens; lowercase because the name is also part of the S3 bucket name.
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}[a-z0-9]$", var.name))
    error_message = "name must be 2 to 32 characters of lowercase letters, digits and hyphens, start with a letter and not end with a hyphen."
  }

  validation {
    condition     = !startswith(var.name, "internal-")
    error_message = "name must not begin with \"internal-\": AWS reserves that prefix for internal load balancers."
  }
}

variable "vpc_id" {
  description = "ID of the VPC the load balancer and its target groups live in."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must be a VPC ID such as vpc-0123456789abcdef0."
  }
}

variable "vpc_cidr_block" {
  description = "IPv4 CIDR block of the VPC. The load balancer may send traffic only to the app port inside it."
  type        = string
  nullable    = false

  validation {
    condition     = try(cidrhost(var.vpc_cidr_block, 0) == split("/", var.vpc_cidr_block)[0] && can(cidrnetmask(var.vpc_cidr_block)), false)
    error_message = "vpc_cidr_block must be a valid IPv4 network address in CIDR notation, for example 10.0.0.0/16."
  }
}

variable "public_subnet_ids" {
  description = "IDs of the public subnets the internet-facing load balancer is placed in, one per Availability Zone."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.public_subnet_ids) >= 2 && alltrue([for id in var.public_subnet_ids : can(regex("^subnet-[0-9a-f]+$", id))])
    error_message = "public_subnet_ids must hold at least two subnet IDs (an ALB needs two Availability Zones), each like subnet-0123456789abcdef0."
  }

  validation {
    condition     = length(distinct(var.public_subnet_ids)) == length(var.public_subnet_ids)
    error_message = "public_subnet_ids must not repeat a subnet."
  }
}

variable "certificate_arn" {
  description = "ARN of the ACM certificate served by the HTTPS listener (and the blue/green test listener)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/.+$", var.certificate_arn))
    error_message = "certificate_arn must be an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID)."
  }
}

variable "app_port" {
  description = "Port the service's app listener serves on (APP_LISTEN_ADDR). Target groups forward to it and the load balancer may reach nothing else."
  type        = number
  nullable    = false
  default     = 8080

  validation {
    condition     = var.app_port >= 1 && var.app_port <= 65535 && floor(var.app_port) == var.app_port
    error_message = "app_port must be a whole number from 1 to 65535."
  }
}

variable "health_check_path" {
  description = "Path of the target group health check. The service's /health never touches the database, so a database outage does not get every task replaced."
  type        = string
  nullable    = false
  default     = "/health"

  validation {
    condition     = can(regex("^/[!-~]*$", var.health_check_path)) && length(var.health_check_path) <= 1024
    error_message = "health_check_path must start with \"/\", hold only visible ASCII characters and be at most 1024 characters long."
  }
}

variable "health_check_interval_seconds" {
  description = "Seconds between two health checks of a target. The timeout of a check is the smaller of 5 s and this interval minus one second."
  type        = number
  nullable    = false
  default     = 10

  validation {
    condition     = var.health_check_interval_seconds >= 5 && var.health_check_interval_seconds <= 300 && floor(var.health_check_interval_seconds) == var.health_check_interval_seconds
    error_message = "health_check_interval_seconds must be a whole number from 5 to 300."
  }
}

variable "healthy_threshold" {
  description = "Consecutive successful health checks before a target receives traffic."
  type        = number
  nullable    = false
  default     = 2

  validation {
    condition     = var.healthy_threshold >= 2 && var.healthy_threshold <= 10 && floor(var.healthy_threshold) == var.healthy_threshold
    error_message = "healthy_threshold must be a whole number from 2 to 10."
  }
}

variable "unhealthy_threshold" {
  description = "Consecutive failed health checks before a target is taken out of service (and ECS replaces the task)."
  type        = number
  nullable    = false
  default     = 2

  validation {
    condition     = var.unhealthy_threshold >= 2 && var.unhealthy_threshold <= 10 && floor(var.unhealthy_threshold) == var.unhealthy_threshold
    error_message = "unhealthy_threshold must be a whole number from 2 to 10."
  }
}

variable "deregistration_delay_seconds" {
  description = "Seconds a deregistering target keeps serving its in-flight requests before the load balancer lets ECS stop it."
  type        = number
  nullable    = false
  default     = 15

  validation {
    condition     = var.deregistration_delay_seconds >= 0 && var.deregistration_delay_seconds <= 3600 && floor(var.deregistration_delay_seconds) == var.deregistration_delay_seconds
    error_message = "deregistration_delay_seconds must be a whole number from 0 to 3600."
  }
}

variable "idle_timeout_seconds" {
  description = "Seconds the load balancer keeps an idle connection open. The service keeps idle keep-alive connections open longer than this, so the load balancer never reuses a connection the service has just closed."
  type        = number
  nullable    = false
  default     = 60

  validation {
    condition     = var.idle_timeout_seconds >= 1 && var.idle_timeout_seconds <= 4000 && floor(var.idle_timeout_seconds) == var.idle_timeout_seconds
    error_message = "idle_timeout_seconds must be a whole number from 1 to 4000."
  }
}

variable "ingress_cidr_blocks" {
  description = "IPv4 CIDR blocks allowed to reach the load balancer on ports 443 and 80."
  type        = list(string)
  nullable    = false
  default     = ["0.0.0.0/0"]

  validation {
    condition     = length(var.ingress_cidr_blocks) > 0 && alltrue([for cidr in var.ingress_cidr_blocks : try(cidrhost(cidr, 0) == split("/", cidr)[0] && can(cidrnetmask(cidr)), false)])
    error_message = "ingress_cidr_blocks must hold at least one valid IPv4 network address in CIDR notation, for example 203.0.113.0/24."
  }
}

variable "deletion_protection" {
  description = "Protect the load balancer from deletion. Leave on in production; dev and emulator runs turn it off so they can be destroyed."
  type        = bool
  nullable    = false
  default     = true
}

variable "access_logs_retention_days" {
  description = "Days ALB access logs (S3) and WAF logs (CloudWatch Logs) are kept. For WAF logs it must be a retention CloudWatch Logs offers."
  type        = number
  nullable    = false
  default     = 90

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.access_logs_retention_days)
    error_message = "access_logs_retention_days must be one of the CloudWatch Logs retention periods: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "enable_waf" {
  description = "Create a WAFv2 web ACL (AWS managed rules and a per-IP rate limit), associate it with the load balancer and log it."
  type        = bool
  nullable    = false
  default     = true
}

variable "waf_rate_limit" {
  description = "Requests one client IP may make in any 5-minute window before WAF answers it with 429."
  type        = number
  nullable    = false
  default     = 2000

  validation {
    condition     = var.waf_rate_limit >= 100 && var.waf_rate_limit <= 2000000000 && floor(var.waf_rate_limit) == var.waf_rate_limit
    error_message = "waf_rate_limit must be a whole number from 100 to 2000000000."
  }
}

variable "enable_blue_green" {
  description = "Prepare for CodeDeploy blue/green deployments: a second (\"green\") target group and a test listener on test_listener_port. CodeDeploy then owns which target group each listener forwards to."
  type        = bool
  nullable    = false
  default     = false
}

variable "test_listener_port" {
  description = "Port of the HTTPS test listener CodeDeploy routes test traffic through before it shifts production traffic (blue/green only)."
  type        = number
  nullable    = false
  default     = 8443

  validation {
    condition     = var.test_listener_port >= 1 && var.test_listener_port <= 65535 && floor(var.test_listener_port) == var.test_listener_port && !contains([80, 443], var.test_listener_port)
    error_message = "test_listener_port must be a whole number from 1 to 65535 other than 80 and 443, which the production listeners use."
  }
}

variable "test_listener_cidr_blocks" {
  description = "IPv4 CIDR blocks allowed to reach the test listener (blue/green only). Null means the same as ingress_cidr_blocks; narrow it to the networks the deployment smoke tests run from."
  type        = list(string)
  default     = null

  validation {
    condition     = var.test_listener_cidr_blocks == null || try(length(var.test_listener_cidr_blocks) > 0 && alltrue([for cidr in var.test_listener_cidr_blocks : try(cidrhost(cidr, 0) == split("/", cidr)[0] && can(cidrnetmask(cidr)), false)]), false)
    error_message = "test_listener_cidr_blocks must be null or hold at least one valid IPv4 network address in CIDR notation."
  }
}

variable "force_destroy_logs" {
  description = "Let Terraform delete the access log bucket with the logs in it. Only for dev and emulator runs: in production the logs outlive the stack."
  type        = bool
  nullable    = false
  default     = false
}
